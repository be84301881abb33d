import { inject } from '@angular/core';
import { type CanActivateFn, Router } from '@angular/router';
import { VisitService } from './visit-service';

/** The visit screens only show during a visit; otherwise the attract screen. */
export const visitGuard: CanActivateFn = () =>
  inject(VisitService).step() !== null || inject(Router).createUrlTree(['/']);
