import { inject } from '@angular/core';
import { type CanActivateFn, Router } from '@angular/router';
import { StaffSession } from './staff-session';

/**
 * Staff screens need a signed-in session whose role has them (reviewers and admins); otherwise the
 * sign-in screen. A field agent's session never opens them.
 */
export const staffGuard: CanActivateFn = () =>
  inject(StaffSession).hasStaffScreens() || inject(Router).createUrlTree(['/staff']);
