import type { Routes } from '@angular/router';
import { KioskStatus } from './status/kiosk-status';

/** Screens of the kiosk. */
export const routes: Routes = [
  { path: '', pathMatch: 'full', redirectTo: 'status' },
  { path: 'status', component: KioskStatus },
  { path: '**', redirectTo: 'status' },
];
