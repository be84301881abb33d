import { Component } from '@angular/core';
import { RouterOutlet } from '@angular/router';

/** Root of the kiosk interface: every screen is a route. */
@Component({
  selector: 'app-root',
  imports: [RouterOutlet],
  template: '<router-outlet />',
})
export class App {}
