import { inject } from '@angular/core';
import { type CanActivateFn, Router } from '@angular/router';
import { StaffSession } from './staff-session';

/** Staff screens need a signed-in session; otherwise the PIN screen. */
export const staffGuard: CanActivateFn = () =>
  inject(StaffSession).signedIn() || inject(Router).createUrlTree(['/staff']);
