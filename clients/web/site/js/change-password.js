// Choosing a new password (required after a reset or the first sign-in).
import { call, clearErrors, showCallErrors, signedIn } from '/static/js/page.js';

const form = document.getElementById('change-password');
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  clearErrors();
  const body = { currentPassword: form.current_password.value, newPassword: form.new_password.value };
  const result = await call('POST', '/v1/sessions:changePassword', body);
  if (!result.ok) {
    showCallErrors(result);
    return;
  }
  location.assign('/?changed=1');
});
await signedIn();
