// A case's history on its page (ListCaseEvents): its changes newest first,
// each with when, what and how the case stood after it, a page at a time.
import { call, localTime, showCallErrors, t } from '/static/js/page.js';

let nextPage = '';

function item(event) {
  const li = document.createElement('li');
  li.className = 'hirs-history__item';
  const what = document.createElement('h3');
  what.className = 'govuk-heading-s hirs-history__what';
  what.textContent = t(`desk_event_${event.kind}`);
  const when = document.createElement('p');
  when.className = 'govuk-body-s hirs-history__when';
  when.textContent = localTime(event.occurredAt);
  const after = event.case || {};
  const facts = [`${t('desk_case_status')}: ${after.status || ''}`];
  if (after.crimeReference) facts.push(`${t('q_crime_reference')}: ${after.crimeReference}`);
  if ((event.reportIds || []).length) facts.push(`${t('desk_reports')}: ${event.reportIds.join(', ')}`);
  if ((event.relatedCaseIds || []).length) facts.push(`${t('desk_event_related')}: ${event.relatedCaseIds.join(', ')}`);
  const detail = document.createElement('p');
  detail.className = 'govuk-body';
  detail.textContent = facts.join(' · ');
  li.append(what, when, detail);
  return li;
}

// Shows the newest page of case `id`'s history (`first`), or the next one.
export async function showHistory(id, first) {
  const query = new URLSearchParams({ page_size: '20' });
  if (!first && nextPage) query.set('page_token', nextPage);
  const result = await call('GET', `/v1/cases/${encodeURIComponent(id)}/events?${query}`);
  if (!result.ok) { showCallErrors(result); return; }
  const list = document.getElementById('case-history');
  const items = (result.body.events || []).map(item);
  if (first) list.replaceChildren(...items); else list.append(...items);
  nextPage = result.body.nextPageToken || '';
  document.getElementById('case-history-more').hidden = !nextPage;
}
