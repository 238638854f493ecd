// The dashboard's three files, inlined when this module is bundled (see _bundle.ts).

import { dashboardFile, dashboardScript } from "./_bundle.ts" with { type: "macro" };

export const INDEX_HTML: string = dashboardFile("index.html");
export const DASHBOARD_CSS: string = dashboardFile("dashboard.css");
export const DASHBOARD_JS: string = dashboardScript();
