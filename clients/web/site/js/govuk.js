// GOV.UK Frontend's components on every page (skip link, error summary,
// buttons that ignore a double click).
import { initAll } from '/static/vendor/govuk-frontend/govuk-frontend.min.js';

document.body.classList.add('govuk-frontend-supported', 'js-enabled');
initAll();
