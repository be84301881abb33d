import type { Routes } from '@angular/router';
import { Attract } from './attract/attract';
import { LivenessCheck } from './liveness-check/liveness-check';
import { Diagnostics } from './staff/diagnostics';
import { ReviewDetail } from './staff/review-detail';
import { ReviewQueue } from './staff/review-queue';
import { staffGuard } from './staff/staff-guard';
import { StaffHome } from './staff/staff-home';
import { StaffLayout } from './staff/staff-layout';
import { StaffPin } from './staff/staff-pin';
import { KioskStatus } from './status/kiosk-status';
import { VisitFlow } from './visit/visit-flow';
import { visitGuard } from './visit/visit-guard';

/** Screens of the kiosk: the customer's (attract, visit) and staff mode behind the PIN. */
export const routes: Routes = [
  { path: '', pathMatch: 'full', component: Attract },
  { path: 'visit', component: VisitFlow, canActivate: [visitGuard] },
  { path: 'staff', pathMatch: 'full', component: StaffPin },
  {
    path: 'staff',
    component: StaffLayout,
    canActivate: [staffGuard],
    canActivateChild: [staffGuard],
    children: [
      { path: 'home', component: StaffHome },
      { path: 'review', component: ReviewQueue },
      { path: 'review/:id', component: ReviewDetail },
      { path: 'status', component: KioskStatus },
      { path: 'liveness-check', component: LivenessCheck },
      { path: 'diagnostics', component: Diagnostics },
    ],
  },
  { path: 'status', redirectTo: 'staff/status' },
  { path: 'liveness-check', redirectTo: 'staff/liveness-check' },
  { path: '**', redirectTo: '' },
];
