import type { Routes } from '@angular/router';
import { LivenessCheck } from './liveness-check/liveness-check';
import { KioskStatus } from './status/kiosk-status';

/** Screens of the kiosk. */
export const routes: Routes = [
  { path: '', pathMatch: 'full', redirectTo: 'status' },
  { path: 'status', component: KioskStatus },
  { path: 'liveness-check', component: LivenessCheck },
  { path: '**', redirectTo: 'status' },
];
