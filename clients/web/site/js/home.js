// The home page: what the signed-in person can do.
import { signedIn, t, tasksOf } from '/static/js/page.js';

const caller = await signedIn();
if (caller) {
  document.getElementById('home-welcome').textContent = t('home_welcome', { name: caller.displayName || caller.id });
  const list = document.getElementById('home-tasks');
  for (const [href, key] of tasksOf(caller.role)) {
    const item = document.createElement('li');
    const link = document.createElement('a');
    link.className = 'govuk-link govuk-link--no-visited-state govuk-!-font-size-24';
    link.href = href;
    link.textContent = t(key);
    item.append(link);
    list.append(item);
  }
}
