import { Component, inject } from '@angular/core';
import { RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { TranslatePipe } from '@ngx-translate/core';
import { StaffSession } from './staff-session';

/** Frame of the staff screens: the staff navigation and "sign out" above the current screen. */
@Component({
  selector: 'app-staff-layout',
  imports: [TranslatePipe, RouterLink, RouterLinkActive, RouterOutlet],
  template: `
    <nav
      class="staff-nav"
      data-testid="staff-nav"
      [attr.aria-label]="'staff.nav.label' | translate"
    >
      <span class="badge">{{ 'staff.title' | translate }}</span>
      @for (link of links; track link.path) {
        <a
          [routerLink]="link.path"
          routerLinkActive="active"
          ariaCurrentWhenActive="page"
          [attr.data-testid]="'nav-' + link.id"
          >{{ link.label | translate }}</a
        >
      }
      <span class="who" data-testid="staff-nav-account">{{ session.name() }}</span>
      <button
        type="button"
        class="secondary"
        data-testid="staff-sign-out"
        (click)="session.signOut()"
      >
        {{ 'staff.nav.signOut' | translate }}
      </button>
    </nav>
    <router-outlet />
  `,
  styles: `
    .staff-nav {
      display: flex;
      align-items: center;
      gap: 0.25rem;
      padding: var(--space-1) var(--space-2);
      font-size: 0.95rem;
      border-bottom: 4px solid var(--color-focus);
      background: var(--color-surface);
    }
    .badge {
      margin-right: var(--space-2);
      font-weight: 800;
      color: var(--color-brand);
    }
    a {
      display: inline-grid;
      place-items: center;
      min-height: var(--touch-target);
      padding: 0 0.75rem;
      border-radius: var(--radius);
      color: var(--color-brand);
      font-weight: 600;
      text-decoration: none;
    }
    a.active {
      color: var(--color-on-brand);
      background: var(--color-brand);
    }
    .who {
      margin-left: auto;
      padding: 0 var(--space-1);
      white-space: nowrap;
      font-weight: 600;
      color: var(--color-muted);
    }
    button {
      flex: none;
    }
  `,
})
export class StaffLayout {
  protected readonly session = inject(StaffSession);
  protected readonly links = [
    { id: 'home', path: '/staff/home', label: 'staff.nav.home' },
    { id: 'review', path: '/staff/review', label: 'staff.nav.review' },
    { id: 'status', path: '/staff/status', label: 'staff.nav.status' },
    { id: 'liveness', path: '/staff/liveness-check', label: 'staff.nav.liveness' },
    { id: 'diagnostics', path: '/staff/diagnostics', label: 'staff.nav.diagnostics' },
  ] as const;
}
