// What every page shares: its messages, calls of the JSON API with the
// session cookie and CSRF token, the error summary and errors beside their
// fields (from the API's google.rpc.BadRequest, never re-implemented here),
// and the navigation for the signed-in person.

const messages = JSON.parse(document.getElementById('hirs-messages').textContent);

// The message `key` of the page's language, with {name} filled from `values`.
export function t(key, values = {}) {
  const text = messages[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ''));
}

// A question's words without the note in brackets at its end ("(required)").
export function withoutNote(text) {
  return text.replace(/\s*\(.*\)\s*$/, '').trim();
}

// The message `key` of the page's language, without its note in brackets.
export function label(key) {
  return withoutNote(t(key));
}

// A row of a GOV.UK summary list: `key` and `value` (text or a node).
export function summaryRow(key, value) {
  const r = document.createElement('div');
  r.className = 'govuk-summary-list__row';
  const dt = document.createElement('dt');
  dt.className = 'govuk-summary-list__key';
  dt.textContent = key;
  const dd = document.createElement('dd');
  dd.className = 'govuk-summary-list__value';
  if (value instanceof Node) dd.append(value); else dd.textContent = value ?? '';
  r.append(dt, dd);
  return r;
}

// A cell of a GOV.UK table: text or a node, right-aligned when `numeric`.
export function tableCell(content, numeric = false) {
  const td = document.createElement('td');
  td.className = `govuk-table__cell${numeric ? ' govuk-table__cell--numeric' : ''}`;
  if (content instanceof Node) td.append(content); else td.textContent = content ?? '';
  return td;
}

// A list method's pages (AIP-158) shown in the element `list`, each item
// made by `render`: `show(true, query)` shows the first page for `query`
// (an object of query parameters, those empty left out; the last query
// when omitted), and the `more` button the next. `path` is the list's route, `items` the response's repeated field;
// `shown(count, more)` runs after each page; with `clear`, errors shown
// before are cleared first.
export function pagedList({ path, items, list, more, render, pageSize = 50, clear = false, shown = () => {} }) {
  let query = {};
  let next = '';
  async function show(first, newQuery) {
    if (clear) clearErrors();
    if (newQuery) query = newQuery;
    const asked = new URLSearchParams({ page_size: String(pageSize) });
    for (const [name, value] of Object.entries(query)) if (value) asked.set(name, value);
    if (!first && next) asked.set('page_token', next);
    const result = await call('GET', `${path}?${asked}`);
    if (!result.ok) {
      showCallErrors(result);
      return;
    }
    const made = (result.body[items] || []).map(render);
    if (first) list.replaceChildren(...made); else list.append(...made);
    next = result.body.nextPageToken || '';
    more.hidden = !next;
    shown(list.children.length, Boolean(next));
  }
  more.addEventListener('click', () => show(false));
  return show;
}

// A table row of `cells` (text or nodes, as tableCell takes them).
export function tableRow(...cells) {
  const tr = document.createElement('tr');
  tr.className = 'govuk-table__row';
  tr.append(...cells);
  return tr;
}

// A GOV.UK link to `href` reading `text`.
export function link(href, text) {
  const a = document.createElement('a');
  a.className = 'govuk-link';
  a.href = href;
  a.textContent = text;
  return a;
}

// The labels of enum values, comma separated.
export function enumLabels(values) { return (values || []).map((v) => t(`enum_${v}`)).join(', '); }

// A time as people here read it: UK time, in the page's language.
export function localTime(iso) {
  if (!iso) return '';
  return new Date(iso).toLocaleString(document.documentElement.lang || 'en-GB',
    { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/London' });
}

function cookie(name) {
  const found = document.cookie.split(';').map((c) => c.trim()).find((c) => c.startsWith(`${name}=`));
  return found ? found.slice(name.length + 1) : '';
}

// Calls the API (or the pages' own sign-in): resolves to {ok, status,
// body, error}, where error is the AIP-193 error object when !ok. A 401
// on a page that needs a session goes to the sign-in page.
export async function call(method, path, body, { signInOn401 = true } = {}) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') {
    headers['Content-Type'] = 'application/json';
    headers['X-CSRF-Token'] = cookie('hirs_csrf');
  }
  let response;
  try {
    response = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin',
    });
  } catch (e) {
    return { ok: false, status: 0, error: { message: t('error_network') } };
  }
  const text = await response.text();
  let parsed = {};
  try { parsed = text ? JSON.parse(text) : {}; } catch (e) { parsed = {}; }
  if (response.status === 401 && signInOn401) {
    const next = encodeURIComponent(location.pathname + location.search);
    location.assign(`/sign-in?next=${next}`);
  }
  if (!response.ok) return { ok: false, status: response.status, error: parsed.error || { message: text } };
  return { ok: true, status: response.status, body: parsed };
}

// The field violations of an AIP-193 error: [{field, description}].
export function fieldViolations(error) {
  const details = (error && error.details) || [];
  return details.filter((d) => (d['@type'] || '').endsWith('google.rpc.BadRequest'))
    .flatMap((d) => d.fieldViolations || []);
}

const ERROR_CLASSES = { INPUT: 'govuk-input--error', SELECT: 'govuk-select--error', TEXTAREA: 'govuk-textarea--error' };

// Clears the error summary and every field error.
export function clearErrors() {
  const summary = document.getElementById('error-summary');
  if (summary) summary.hidden = true;
  document.getElementById('error-summary-list')?.replaceChildren();
  document.querySelectorAll('.govuk-form-group--error').forEach((g) => g.classList.remove('govuk-form-group--error'));
  document.querySelectorAll('.govuk-error-message').forEach((m) => { m.hidden = true; m.textContent = ''; });
  document.querySelectorAll('[aria-invalid]').forEach((i) => {
    i.classList.remove(...Object.values(ERROR_CLASSES));
    i.removeAttribute('aria-invalid');
  });
  document.querySelectorAll('[aria-describedby]').forEach((e) => {
    const kept = e.getAttribute('aria-describedby').split(' ').filter((id) => id && !id.endsWith('-error'));
    if (kept.length > 0) e.setAttribute('aria-describedby', kept.join(' ')); else e.removeAttribute('aria-describedby');
  });
}

function describeBy(element, id) {
  const ids = new Set((element.getAttribute('aria-describedby') || '').split(' ').filter(Boolean));
  ids.add(id);
  element.setAttribute('aria-describedby', [...ids].join(' '));
}

// Marks the question `field` (the id of its input, or of the element
// around a group of inputs) as wrong with `text` and `detail`; returns the input to
// link to, or null when the page has no such question.
function markField(field, text, detail) {
  const element = field ? document.getElementById(field) : null;
  if (!element) return null;
  const inputs = element.matches('input, select, textarea') ? [element] : [...element.querySelectorAll('input, select, textarea')];
  const group = document.getElementById(`${field}-group`);
  group?.classList.add('govuk-form-group--error');
  const message = document.getElementById(`${field}-error`);
  if (message) {
    message.hidden = false;
    const hidden = document.createElement('span');
    hidden.className = 'govuk-visually-hidden';
    hidden.textContent = `${t('error_prefix')} `;
    message.replaceChildren(hidden, ...withDetail(text, detail));
    const fieldset = group?.querySelector('fieldset');
    describeBy(fieldset && !element.matches('input, select, textarea') ? fieldset : inputs[0], message.id);
  }
  for (const input of inputs) {
    if (input.type !== 'checkbox' && input.type !== 'radio') input.classList.add(ERROR_CLASSES[input.tagName]);
    input.setAttribute('aria-invalid', 'true');
  }
  return inputs[0] || element;
}

// `text`, then `detail` (the server's words, in English) marked as English
// text running left to right, so that it reads right in every language.
function withDetail(text, detail) {
  if (!detail) return [text];
  const english = document.createElement('span');
  english.lang = 'en';
  english.dir = 'ltr';
  english.textContent = detail;
  return text ? [`${text} `, english] : [english];
}

// Shows `errors` ([{field, text, detail}]; field '' for the page as a whole): in
// the summary, linked to their questions, and beside each question (the
// element whose id is the API's field path, e.g. "report.victim.phone").
// Focuses the summary.
export function showErrors(errors) {
  clearErrors();
  const summary = document.getElementById('error-summary');
  const list = document.getElementById('error-summary-list');
  for (const { field, text, detail } of errors) {
    const target = markField(field, text, detail);
    const item = document.createElement('li');
    if (target) {
      const link = document.createElement('a');
      link.href = `#${target.id}`;
      link.append(...withDetail(text, detail));
      item.append(link);
    } else {
      item.append(...withDetail(text, detail));
    }
    list.append(item);
  }
  summary.hidden = errors.length === 0;
  if (errors.length > 0) summary.focus();
}

// Shows a failed call's errors: its field violations beside their fields,
// else its message.
export function showCallErrors(result) {
  const violations = fieldViolations(result.error);
  if (violations.length > 0) {
    showErrors(violations.map((v) => ({ field: v.field, text: v.description })));
  } else {
    showErrors([{ field: '', text: (result.error && result.error.message) || t('error_unknown') }]);
  }
}

// Once someone is signed in, reads `path` (GET) and hands its answer to
// `show`; shows why when it cannot be read. Resolves to whether it was
// shown.
export async function showWhenRead(path, show) {
  await signedIn();
  const result = await call('GET', path);
  if (!result.ok) {
    showCallErrors(result);
    return false;
  }
  show(result.body);
  return true;
}

const tasks = {
  REPORTING_CENTRE: [['/report', 'task_report'], ['/reports', 'task_reports']],
  POLICE: [['/review', 'task_review'], ['/cases', 'task_cases']],
  DISTRICT: [['/month', 'task_month']],
  ADMIN: [],
};

// The tasks [href, message key] of a role.
export function tasksOf(role) { return tasks[role] || []; }

// Who is signed in (hirs.v1.Caller), after filling the navigation; to the
// sign-in page when no one is, to the password page when one must be chosen.
export async function signedIn() {
  const result = await call('GET', '/v1/caller');
  if (!result.ok) return null;
  const caller = result.body;
  if (caller.mustEnrolSecondFactor) {
    if (location.pathname !== '/enrol') location.assign('/enrol');
    if (location.pathname !== '/enrol') return null;
  } else if (caller.mustChangePassword && location.pathname !== '/change-password') {
    location.assign('/change-password');
    return null;
  }
  const links = document.getElementById('hirs-nav-links');
  for (const [href, key] of tasksOf(caller.role)) {
    const item = document.createElement('li');
    item.className = 'govuk-service-navigation__item';
    const link = document.createElement('a');
    link.className = 'govuk-service-navigation__link';
    link.href = href;
    link.textContent = t(key);
    if (location.pathname === href) {
      item.classList.add('govuk-service-navigation__item--active');
      link.setAttribute('aria-current', 'page');
    }
    item.append(link);
    links.append(item);
  }
  document.querySelector('.hirs-service-nav').hidden = links.children.length === 0;
  document.getElementById('hirs-signed-in-as').textContent =
    t('signed_in_as', { name: caller.displayName || caller.id });
  document.querySelector('.hirs-signed-in').hidden = false;
  return caller;
}

document.getElementById('hirs-sign-out')?.addEventListener('click', async () => {
  await call('POST', '/sign-out', {}, { signInOn401: false });
  location.assign('/sign-in');
});
