/** The current route, from the URL fragment (which is never sent to a server). */
import { parseRoute, type Route } from '../transfer/link.ts';

class CurrentRoute {
  current = $state.raw<Route>(parseRoute(location.hash));

  constructor() {
    addEventListener('hashchange', () => (this.current = parseRoute(location.hash)));
  }
}

export const route = new CurrentRoute();
