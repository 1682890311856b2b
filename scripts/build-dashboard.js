// Bundle the dashboard's browser code (src/status/dashboard/*.ts) into dist/status/dashboard/app.js, the page's one inline script.
import { bundleDashboard, DASHBOARD_BUNDLE } from '../dist/status/dashboard-bundle.js';

await bundleDashboard(DASHBOARD_BUNDLE);
