"""The web pages in a real browser (Debian's Chromium through ChromeDriver
and Selenium) against a real hirsd: signing in with a password and a TOTP
code, the first sign-in's new password, the session cookie and its CSRF
token, sign-out and disabling ending the session, and the pages in every
language (right to left in Urdu). axe-core checks every page at WCAG 2.2 AA;
each page is saved as a screenshot at 1280 and 320 px wide.

Environment: HTTP_ADDR (hirsd's HTTP door), BRIEF_HTTP_ADDR (a hirsd whose
sessions end after 4 idle seconds), ADMIN_TOKEN, AXE_JS (axe.min.js),
ARTEFACTS (where screenshots go).
"""
import base64
import hashlib
import hmac
import http.client
import json
import os
import struct
import time
import unittest
import urllib.parse

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

ADDR = os.environ["HTTP_ADDR"]
BASE = f"http://{ADDR}"
BRIEF_ADDR = os.environ["BRIEF_HTTP_ADDR"]
ADMIN_TOKEN = os.environ["ADMIN_TOKEN"]
ARTEFACTS = os.environ.get("ARTEFACTS", "/tmp/hirs-pages")
AXE = open(os.environ["AXE_JS"], encoding="utf-8").read()
LANGUAGES = ["en", "gu", "pa", "pl", "so", "ur"]
PASSWORD = "tea at the clock tower"


def api(method, path, body=None, token=None, headers=None, addr=None):
    """(status, headers, parsed body) of an HTTP call to hirsd (at `addr`,
    else HTTP_ADDR)."""
    conn = http.client.HTTPConnection(addr or ADDR, timeout=10)
    h = dict(headers or {})
    if token:
        h["Authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data = json.dumps(body)
        h["Content-Type"] = "application/json"
    conn.request(method, path, body=data, headers=h)
    response = conn.getresponse()
    raw = response.read().decode("utf-8")
    conn.close()
    try:
        parsed = json.loads(raw) if raw else {}
    except ValueError:
        parsed = raw
    return response.status, response.getheaders(), parsed


def totp(uri, at=None):
    """RFC 6238's code for the secret of an otpauth:// URI."""
    secret = urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)["secret"][0]
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    step = int(at if at is not None else time.time()) // 30
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 15
    return "%06d" % ((struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 1000000)


_people = 0


def create_person(role="REPORTING_CENTRE", scope="centre-a", addr=None):
    """A new person: (id, one-time password, otpauth URI)."""
    global _people
    _people += 1
    person_id = f"web.person{_people}.{int(time.time() * 1000) % 100000}"
    status, _, created = api("POST", "/v1/people", {
        "personId": person_id, "displayName": f"Person {_people}", "email": f"{person_id}@example.org",
        "role": role, "scope": scope}, token=ADMIN_TOKEN, addr=addr)
    assert status == 200, created
    return person_id, created["oneTimePassword"], created["secondFactor"]["totpUri"]


class Pages(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        os.makedirs(ARTEFACTS, exist_ok=True)
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900",
                     "--disable-gpu", "--lang=en-GB"):
            options.add_argument(flag)
        cls.driver = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)
        cls.driver.set_script_timeout(30)

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()

    def setUp(self):
        self.driver.delete_all_cookies()

    # --- helpers -----------------------------------------------------------
    def wait(self, condition, timeout=10):
        try:
            return WebDriverWait(self.driver, timeout).until(condition)
        except Exception:
            d = self.driver
            said = d.execute_script(
                "return [...document.querySelectorAll('#error-summary, [aria-live]')].map(e => e.id + ': ' + e.textContent.trim())")
            self.fail(f"timed out on {d.current_url}; the page says {said}; its console: "
                      f"{[l for l in d.get_log('browser') if l['level'] != 'DEBUG']}")

    def open(self, path):
        self.driver.get(BASE + path)
        self.wait(lambda d: d.execute_script("return document.readyState") == "complete")

    def check_page(self, name):
        """The page has its main heading, passes axe-core at WCAG 2.2 AA, and
        is saved as screenshots at 1280 and 320 px wide."""
        d = self.driver
        headings = self.wait(lambda drv: [h for h in drv.find_elements(By.CSS_SELECTOR, "main h1") if h.is_displayed()])
        self.assertTrue(headings[0].text.strip(), f"{name}: the main heading is empty")
        d.execute_script(AXE)
        result = d.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {runOnly: {type: 'tag', values: "
            "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})"
            ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.map(n => n.target.join(' '))}))), e => done([{id: 'axe failed', help: String(e)}]));")
        self.assertEqual(result, [], f"{name}: axe-core found violations: {json.dumps(result, indent=1)}")
        for width in (1280, 320):
            d.set_window_size(width, 900)
            time.sleep(0.2)
            self.assertTrue(d.save_screenshot(os.path.join(ARTEFACTS, f"{name}-{width}.png")))
            overflow = d.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
            self.assertLessEqual(overflow, 1, f"{name}: wider than the window at {width} px")
        d.set_window_size(1280, 900)

    def sign_in(self, login, password, code):
        d = self.driver
        d.find_element(By.ID, "login").clear()
        d.find_element(By.ID, "login").send_keys(login)
        d.find_element(By.ID, "password").send_keys(password)
        d.find_element(By.ID, "code").clear()
        d.find_element(By.ID, "code").send_keys(code)
        d.find_element(By.CSS_SELECTOR, "#sign-in button[type=submit]").click()

    def summary_text(self):
        try:
            summary = self.wait(EC.visibility_of_element_located((By.ID, "error-summary")))
        except Exception:
            self.fail(f"no error summary; the browser's console: {self.driver.get_log('browser')}")
        return summary.text

    def signed_in_person(self, role="REPORTING_CENTRE", scope="centre-a"):
        """Signs a new person in through the pages and past the new password."""
        person_id, one_time, uri = create_person(role, scope)
        self.open("/sign-in")
        self.sign_in(person_id, one_time, totp(uri))
        self.wait(EC.url_contains("/change-password"))
        self.wait(EC.visibility_of_element_located((By.ID, "current_password"))).send_keys(one_time)
        self.driver.find_element(By.ID, "new_password").send_keys(PASSWORD)
        self.driver.find_element(By.CSS_SELECTOR, "#change-password button[type=submit]").click()
        self.wait(lambda d: urllib.parse.urlparse(d.current_url).path == "/")
        return person_id, uri

    def session_cookie(self):
        return {c["name"]: c for c in self.driver.get_cookies()}

    def fill_report(self, phone="07700 900123", crime_reference=""):
        """Fills the report form: verbal abuse, racially motivated, yesterday
        at 14:30 in LE11 3AB, reported by the victim, who gives their name
        and phone and agrees to sharing and contact."""
        d = self.driver
        yesterday = time.localtime(time.time() - 86400)

        def click(element_id):
            d.execute_script("arguments[0].click()", d.find_element(By.ID, element_id))

        def type_into(element_id, text):
            field = d.find_element(By.ID, element_id)
            field.clear()
            field.send_keys(text)

        click("report.incident_types-VERBAL_ABUSE")
        type_into("report.description", "Shouted at outside the library.")
        click("report.motivations-RACE")
        type_into("report.occurred_start-day", str(yesterday.tm_mday))
        type_into("report.occurred_start-month", str(yesterday.tm_mon))
        type_into("report.occurred_start-year", str(yesterday.tm_year))
        type_into("report.occurred_start-time", "14:30")
        d.find_element(By.CSS_SELECTOR, "select[id='report.location.place_type'] option[value=STREET_OR_PUBLIC_PLACE]").click()
        type_into("report.location.postcode", "LE11 3AB")
        click("report.reporter_role-VICTIM")
        click("report.consent.anonymous-no")
        type_into("report.victim.full_name", "Test Person")
        type_into("report.victim.phone", phone)
        click("report.consent.share_with_police-yes")
        click("report.consent.contact_victim-yes")
        if crime_reference:
            type_into("report.crime_reference", crime_reference)

    def review_items(self, count):
        """`count` open review items, made through the API: one incident
        reported twice, the second report split into a case of its own by
        police, then `count` more reports of it that match both cases."""
        start = time.strftime("%Y-%m-%dT09:15:00Z", time.gmtime(time.time() - 3 * 86400))
        tag = int(time.time() * 1000)

        def submit(reference):
            status, _, answer = api("POST", "/v1/reports", {"requestId": f"{tag}-{reference}", "report": {
                "sourceReference": f"{tag}-{reference}", "reporterRole": "WITNESS", "motivations": ["DISABILITY"],
                "incidentTypes": ["HARASSMENT"], "occurredStart": start,
                "location": {"postcode": "LE11 3AB", "placeType": "PUBLIC_TRANSPORT"},
                "description": "A man on the bus mocked a wheelchair user all the way to the station.",
                "consent": {"shareWithPolice": False}}}, token="token-centre-a")
            self.assertEqual(status, 200, answer)
            return answer

        submit("A")
        second = submit("B")
        status, _, split = api("POST", f"/v1/reports/{second['reportId']}:split", {}, token="token-police")
        self.assertEqual(status, 200, split)
        outcomes = [submit(f"C{i}")["collation"] for i in range(count)]
        self.assertEqual(outcomes, ["NEEDS_REVIEW"] * count)

    # --- tests -------------------------------------------------------------
    def test_police_find_a_case_watch_it_change_and_see_a_conflict_explained(self):
        from selenium.webdriver.support.ui import Select
        d = self.driver
        reference = f"CASE/{int(time.time() * 1000)}"
        start = time.strftime("%Y-%m-%dT16:40:00Z", time.gmtime(time.time() - 5 * 86400))

        def submit(source):
            status, _, answer = api("POST", "/v1/reports", {"report": {
                "sourceReference": source, "reporterRole": "VICTIM", "motivations": ["SEXUAL_ORIENTATION"],
                "incidentTypes": ["THREATS"], "occurredStart": start, "crimeReference": reference,
                "location": {"postcode": "LE11 3AB", "placeType": "LEISURE_OR_NIGHT_TIME_ECONOMY"},
                "victim": {"fullName": "Sam Example"}, "consent": {"shareWithPolice": True}}}, token="token-centre-a")
            self.assertEqual(status, 200, answer)
            return answer

        case_id = submit(f"{reference}-1")["caseId"]
        self.signed_in_person(role="POLICE", scope="E23000021")
        self.open("/cases")
        self.wait(EC.visibility_of_element_located((By.ID, "cases-table")))
        self.check_page("cases-en")
        d.find_element(By.ID, "f-crime").send_keys(reference)
        d.find_element(By.ID, "cases-search").click()
        self.wait(EC.text_to_be_present_in_element((By.ID, "cases-count"), "1 cases shown"))
        d.find_element(By.LINK_TEXT, case_id).click()
        self.wait(EC.text_to_be_present_in_element((By.ID, "case-heading"), case_id))
        self.assertIn("Sam Example", d.find_element(By.ID, "case-reports").text)  # shared with consent
        self.check_page("case-en")
        # A second report of the incident joins the case: the page follows.
        self.assertEqual(submit(f"{reference}-2")["caseId"], case_id)
        self.wait(EC.text_to_be_present_in_element((By.ID, "case-live"), "This case has just changed"), timeout=15)
        self.wait(lambda drv: len(drv.find_elements(By.CSS_SELECTOR, ".hirs-report-card")) == 2)
        # The analyst edits; meanwhile a colleague changes the case.
        Select(d.find_element(By.ID, "case.status")).select_by_value("UNDER_INVESTIGATION")
        status, _, current = api("GET", f"/v1/cases/{case_id}", token="token-police")
        status, _, _ = api("PATCH", f"/v1/cases/{case_id}?update_mask=outcomeNote&etag={current['etag']}",
                           {"outcomeNote": "Victim contacted by PC 1234"}, token="token-police")
        self.assertEqual(status, 200)
        self.wait(EC.text_to_be_present_in_element((By.ID, "case-facts"), "Victim contacted"), timeout=15)
        d.find_element(By.ID, "case-save").click()
        conflict = self.wait(EC.visibility_of_element_located((By.ID, "case-conflict")))
        self.assertIn("Someone changed this case", conflict.text)
        self.assertIn("Victim contacted by PC 1234", conflict.text)
        self.assertEqual(Select(d.find_element(By.ID, "case.status")).first_selected_option.get_attribute("value"),
                         "UNDER_INVESTIGATION")
        self.check_page("case-conflict-en")
        # Saved again, on the case as it is now.
        d.find_element(By.ID, "case-save").click()
        self.wait(EC.text_to_be_present_in_element((By.ID, "case-live"), "The case was saved"))
        status, _, saved = api("GET", f"/v1/cases/{case_id}", token="token-police")
        self.assertEqual(saved["status"], "UNDER_INVESTIGATION")
        self.assertEqual(saved["outcomeNote"], "Victim contacted by PC 1234")
        # The history, newest first: the analyst's save, the colleague's, the
        # second report, the case opened.
        self.wait(lambda drv: len(drv.find_elements(By.CSS_SELECTOR, "#case-history li")) == 4)
        history = [e.text for e in d.find_elements(By.CSS_SELECTOR, "#case-history .hirs-history__what")]
        self.assertEqual(history, ["Updated by police", "Updated by police", "A report joined the case", "Case opened"])
        self.assertIn("UNDER_INVESTIGATION", d.find_element(By.CSS_SELECTOR, "#case-history li").text)
        self.check_page("case-history-en")

    def test_a_district_sees_its_month_and_downloads_its_csv(self):
        d = self.driver
        # A report in Charnwood last month.
        now = time.gmtime()
        year, month = (now.tm_year, now.tm_mon - 1) if now.tm_mon > 1 else (now.tm_year - 1, 12)
        last_month = f"{year}-{month:02d}"
        status, _, answer = api("POST", "/v1/reports", {"report": {
            "sourceReference": f"month-{time.time()}", "reporterRole": "VICTIM", "motivations": ["RELIGION_OR_BELIEF"],
            "incidentTypes": ["GRAFFITI"], "occurredStart": f"{last_month}-02T10:00:00Z",
            "location": {"postcode": "LE11 3AB", "placeType": "PLACE_OF_WORSHIP"}}}, token="token-centre-a")
        self.assertEqual(status, 200, answer)
        downloads = os.path.join(ARTEFACTS, "downloads")
        os.makedirs(downloads, exist_ok=True)
        d.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})
        self.signed_in_person(role="DISTRICT", scope="E07000130")
        self.open("/month")
        frame = self.wait(EC.visibility_of_element_located((By.ID, "month-report")))
        self.assertEqual(d.find_element(By.ID, "month").get_attribute("value"), last_month)
        self.assertIn(f"/v1/districts/E07000130/months/{last_month}/report", frame.get_attribute("src"))
        d.switch_to.frame(frame)
        self.wait(lambda drv: "Charnwood" in drv.find_element(By.TAG_NAME, "body").text)
        d.switch_to.default_content()
        self.check_page("month-en")
        def api_csv():
            conn = http.client.HTTPConnection(ADDR, timeout=10)
            conn.request("GET", f"/v1/districts/E07000130/months/{last_month}/extract",
                         headers={"Authorization": "Bearer token-charnwood", "Accept": "text/csv"})
            body = conn.getresponse().read()
            conn.close()
            return body

        # Each pull is recorded (its rows say NEW, REVISED, UNCHANGED against
        # the one before): the page's pull and the API's are compared as
        # second and third pulls of an unchanged month.
        api_csv()
        d.find_element(By.ID, "month-csv").click()
        path = os.path.join(downloads, f"extract-E07000130-{last_month}.csv")
        self.wait(lambda _: os.path.exists(path) and os.path.getsize(path) > 0)
        expected = api_csv()
        with open(path, "rb") as f:
            self.assertEqual(f.read(), expected, "the page's CSV is the API's, byte for byte")
        self.assertIn(b"PLACE_OF_WORSHIP,0,1,", expected)  # the report, religiously motivated
        # Another district's month is refused, and said so on the page.
        self.open("/month?district=E06000017")
        self.assertIn("E07000130", self.summary_text())
        self.assertTrue(d.find_element(By.ID, "month-report").get_attribute("hidden"))

    def test_an_analyst_resolves_review_items_by_keyboard_alone(self):
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.keys import Keys
        d = self.driver
        self.review_items(2)
        person_id, _ = self.signed_in_person(role="POLICE", scope="E23000021")
        self.open("/review")
        heading = self.wait(EC.visibility_of_element_located((By.ID, "review-item-heading")))
        self.assertIn("Item 1 of", heading.text)
        # The score against the thresholds it was held to (the defaults).
        self.assertRegex(d.find_element(By.ID, "review-score").text,
                         r"Match score \d+\.\d: a report joins a case on its own at (6|8)\.0 or more, and comes here from 3\.0")
        self.check_page("review-en")
        # The victim's details are not shown: no consent to share them.
        self.assertIn("Not shown", d.find_element(By.ID, "review-compare").text)
        keys = ActionChains(d)
        keys.send_keys("1").send_keys(Keys.TAB).send_keys("same bus, time and words")
        keys.key_down(Keys.CONTROL).send_keys(Keys.ENTER).key_up(Keys.CONTROL).perform()
        self.wait(EC.text_to_be_present_in_element((By.ID, "review-status"), "Item 1 resolved"))
        self.wait(EC.text_to_be_present_in_element((By.ID, "review-item-heading"), "Item 2 of"))
        # Meanwhile another analyst resolves the second item.
        status, _, items = api("GET", "/v1/reviewItems", token="token-police")
        second = [i for i in items["items"]][0]
        status, _, _ = api("POST", f"/v1/reviewItems/{second['reviewId']}:resolve", {"decision": "KEEP_SEPARATE"},
                           token="token-police")
        self.assertEqual(status, 200)
        ActionChains(d).send_keys("k").key_down(Keys.CONTROL).send_keys(Keys.ENTER).key_up(Keys.CONTROL).perform()
        self.wait(EC.text_to_be_present_in_element((By.ID, "review-status"), "already been resolved by someone else"))
        self.check_page("review-done-en")
        # The first decision is kept with its reason and who made it.
        status, _, entries = api("GET", f"/v1/auditEntries?principal_id={person_id}", token=ADMIN_TOKEN)
        outcomes = [e["outcome"] for e in entries["entries"] if e["method"] == "hirs.v1.CaseService/ResolveReviewItem"]
        self.assertEqual(outcomes, ["OK", "FAILED_PRECONDITION"])

    def test_a_centre_takes_a_report_with_a_mistake_and_prints_the_receipt(self):
        d = self.driver
        person_id, _ = self.signed_in_person()
        self.open("/report")
        self.check_page("report-en")
        reference = f"WEB/{int(time.time() * 1000)}"
        self.fill_report(phone="07700 9OO123", crime_reference=reference)  # letters O, not zeros
        d.find_element(By.ID, "report-submit").click()
        self.assertIn("Phone number", self.summary_text())
        error = self.wait(EC.visibility_of_element_located((By.ID, "report.victim.phone-error")))
        self.assertIn("digits", error.text)  # the server's words, beside the field
        self.assertEqual(d.find_element(By.ID, "report.victim.phone").get_attribute("aria-invalid"), "true")
        self.check_page("report-errors-en")
        # An accidental reload keeps the draft.
        self.open("/report")
        self.wait(lambda drv: drv.find_element(By.ID, "report.victim.phone").get_attribute("value") == "07700 9OO123")
        self.assertTrue(d.find_element(By.ID, "report.motivations-RACE").is_selected())
        phone = d.find_element(By.ID, "report.victim.phone")
        phone.clear()
        phone.send_keys("07700 900123")
        # A double click sends one report.
        d.execute_script("const b = document.getElementById('report-submit'); b.click(); b.click();")
        receipt = self.wait(EC.visibility_of_element_located((By.ID, "receipt-report-id")))
        report_id = receipt.text
        self.assertTrue(report_id.startswith("rpt_"), report_id)
        self.assertEqual(d.switch_to.active_element.get_attribute("id"), "receipt-title")
        self.check_page("report-receipt-en")
        self.assertEqual(d.execute_script("return sessionStorage.getItem('hirs-report-draft')"), None)
        # The report is there through the API, as the centre's, and once.
        status, _, report = api("GET", f"/v1/reports/{report_id}", token="token-centre-a")
        self.assertEqual(status, 200, report)
        self.assertEqual(report["victim"]["fullName"], "Test Person")
        self.assertEqual(report["submittedBy"], person_id)
        status, _, cases = api("GET", "/v1/cases?filter=" + urllib.parse.quote(f'crime_reference = "{reference}"'),
                               token="token-police")
        self.assertEqual(status, 200, cases)
        self.assertEqual(len(cases.get("cases", [])), 1, cases)
        status, _, entries = api("GET", f"/v1/auditEntries?principal_id={person_id}", token=ADMIN_TOKEN)
        submits = [e for e in entries["entries"] if e["method"] == "hirs.v1.ReportingService/SubmitReport"]
        self.assertEqual([e["outcome"] for e in submits].count("OK"), 1, submits)

    def test_a_centre_sees_what_became_of_its_reports(self):
        from selenium.webdriver.support.ui import Select
        d = self.driver
        reference = f"MINE/{int(time.time() * 1000)}"
        start = time.strftime("%Y-%m-%dT11:05:00Z", time.gmtime(time.time() - 4 * 86400))
        status, _, sent = api("POST", "/v1/reports", {"report": {
            "sourceReference": reference, "reporterRole": "THIRD_PARTY", "motivations": ["AGE"],
            "incidentTypes": ["DAMAGE_TO_PROPERTY"], "occurredStart": start,
            "location": {"postcode": "LE11 3AB", "placeType": "HOME"}, "description": "Eggs thrown at the window.",
            "victim": {"fullName": "Ada Example"}, "consent": {"shareWithPolice": True}}}, token="token-centre-a")
        self.assertEqual(status, 200, sent)
        status, _, kase = api("GET", f"/v1/cases/{sent['caseId']}", token="token-police")
        status, _, _ = api("PATCH", f"/v1/cases/{sent['caseId']}?update_mask=status,crimeReference&etag={kase['etag']}",
                           {"status": "CRIME_RECORDED", "crimeReference": "LC/4242/26"}, token="token-police")
        self.assertEqual(status, 200)
        self.signed_in_person()
        d.find_element(By.LINK_TEXT, "Our centre's reports").click()
        self.wait(EC.url_contains("/reports"))
        self.wait(EC.visibility_of_element_located((By.ID, "reports-table")))
        first_row = d.find_element(By.CSS_SELECTOR, "#reports-rows tr")
        self.assertIn(reference, first_row.text)  # newest first
        self.assertIn("Crime recorded", first_row.text)
        self.assertIn("LC/4242/26", first_row.text)
        self.check_page("reports-en")
        # The page stays current: the police correct the crime reference.
        status, _, kase = api("GET", f"/v1/cases/{sent['caseId']}", token="token-police")
        status, _, _ = api("PATCH", f"/v1/cases/{sent['caseId']}?update_mask=crimeReference&etag={kase['etag']}",
                           {"crimeReference": "LC/4243/26"}, token="token-police")
        self.assertEqual(status, 200)
        self.wait(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "#reports-rows tr"), "LC/4243/26"))
        self.assertIn(sent["reportId"], d.find_element(By.ID, "reports-live").text)
        # Filters: the status shows it; another status does not; a bad day is
        # named beside its field.
        Select(d.find_element(By.ID, "f-status")).select_by_value("NO_FURTHER_ACTION")
        d.find_element(By.ID, "reports-search").click()
        self.wait(lambda drv: reference not in drv.find_element(By.ID, "reports-rows").text
                  and drv.find_element(By.ID, "reports-count").text)
        Select(d.find_element(By.ID, "f-status")).select_by_value("CRIME_RECORDED")
        d.find_element(By.ID, "received_from").send_keys("last week")
        d.find_element(By.ID, "reports-search").click()
        self.assertIn("Received on or after", self.summary_text())
        self.check_page("reports-errors-en")
        d.find_element(By.ID, "received_from").clear()
        d.find_element(By.ID, "received_from").send_keys(time.strftime("%Y-%m-%d", time.gmtime(time.time() - 86400)))
        d.find_element(By.ID, "reports-search").click()
        self.wait(EC.text_to_be_present_in_element((By.ID, "reports-rows"), reference))
        # The report as received, with what became of it.
        d.find_element(By.LINK_TEXT, sent["reportId"]).click()
        self.wait(EC.text_to_be_present_in_element((By.ID, "report-heading"), sent["reportId"]))
        fields = d.find_element(By.ID, "report-fields").text
        for expected in (reference, "Eggs thrown at the window.", "Ada Example", "LE11 3AB"):
            self.assertIn(expected, fields)
        progress = d.find_element(By.ID, "report-progress").text
        self.assertIn(sent["caseId"], progress)
        self.assertIn("Crime recorded", progress)
        self.check_page("my-report-en")
        # A correction: the name was misspelt at the counter. The form holds
        # the report as it reads; the consent is changed elsewhere.
        d.find_element(By.ID, "amend-link").click()
        name = self.wait(EC.visibility_of_element_located((By.ID, "report.victim.full_name")))
        self.assertEqual(name.get_attribute("value"), "Ada Example")
        self.assertTrue(d.find_element(By.ID, "report.motivations-AGE").is_selected())
        self.assertFalse(d.find_element(By.ID, "report.consent.share_with_police-yes").is_enabled())
        name.clear()
        name.send_keys("Ada Exampel")
        d.find_element(By.ID, "amend-submit").click()
        self.assertIn("Why", self.summary_text())  # a reason is required, and nothing changed
        self.check_page("amend-report-errors-en")
        status, _, unchanged = api("GET", f"/v1/reports/{sent['reportId']}", token="token-centre-a")
        self.assertEqual(unchanged["victim"]["fullName"], "Ada Example")
        d.find_element(By.ID, "reason").send_keys("name misspelt at the counter")
        d.find_element(By.ID, "amend-submit").click()
        self.wait(EC.visibility_of_element_located((By.ID, "change-done")))
        self.assertIn("new version", d.find_element(By.ID, "change-done").text)
        self.assertIn("Ada Exampel", d.find_element(By.ID, "report-fields").text)
        versions = d.find_element(By.ID, "versions-rows").text
        self.assertIn("name misspelt at the counter", versions)
        self.assertIn("victim.full_name", versions)
        self.check_page("my-report-amended-en")
        status, _, first = api("GET", f"/v1/reports/{sent['reportId']}?version=1", token="token-centre-a")
        self.assertEqual(status, 200, first)
        self.assertEqual(first["victim"]["fullName"], "Ada Example")  # the version received stays
        self.assertEqual(len(first["versions"]), 2)
        self.assertEqual(first["versions"][1]["changedFields"], ["victim.full_name"])
        # The victim withdraws consent to share: police no longer see the name.
        d.find_element(By.CSS_SELECTOR, "label[for=consent-share]").click()
        d.find_element(By.ID, "reason").send_keys("asked at the counter")
        d.find_element(By.ID, "consent-save").click()
        self.wait(EC.text_to_be_present_in_element((By.ID, "change-done"), "Consent saved"))
        self.assertIn(sent["caseId"], d.find_element(By.ID, "report-progress").text)  # still shown
        status, _, kase = api("GET", f"/v1/cases/{sent['caseId']}", token="token-police")
        self.assertEqual(status, 200)
        self.assertNotIn("Ada Exampel", json.dumps(kase))
        # Withdrawal needs a reason, and a second click to confirm.
        d.find_element(By.ID, "withdraw-ask").click()
        d.find_element(By.ID, "withdraw-yes").click()
        self.assertIn("say why", self.summary_text())
        self.check_page("my-report-errors-en")
        d.find_element(By.ID, "reason").send_keys("entered twice")
        d.find_element(By.ID, "withdraw-ask").click()
        d.find_element(By.ID, "withdraw-yes").click()
        self.wait(EC.text_to_be_present_in_element((By.ID, "report-progress"), "Withdrawn on"))
        self.assertIn("entered twice", d.find_element(By.ID, "report-progress").text)
        self.assertNotIn("Ada Exampel", d.find_element(By.ID, "report-fields").text)
        self.assertFalse(d.find_element(By.ID, "change").is_displayed())
        self.check_page("my-report-withdrawn-en")

    def test_the_report_form_in_urdu_and_polish(self):
        d = self.driver
        self.signed_in_person()
        for lang in ("ur", "pl"):
            self.open(f"/report?lang={lang}")
            self.assertEqual(d.find_element(By.TAG_NAME, "html").get_attribute("dir"), "rtl" if lang == "ur" else "ltr")
            self.check_page(f"report-{lang}")
            d.find_element(By.ID, "report-submit").click()
            summary = self.summary_text()
            for field in ("report.incident_types", "report.motivations", "report.occurred_start",
                          "report.reporter_role"):
                self.assertTrue(d.find_element(By.ID, f"{field}-error").is_displayed(), f"{lang}: {field}: {summary}")
            self.check_page(f"report-errors-{lang}")
            self.fill_report()
            d.find_element(By.ID, "report-submit").click()
            self.wait(EC.visibility_of_element_located((By.ID, "receipt-report-id")))
            self.check_page(f"report-receipt-{lang}")

    def test_first_sign_in_mistakes_new_password_and_home(self):
        d = self.driver
        person_id, one_time, uri = create_person()
        self.open("/sign-in")
        self.check_page("sign-in-en")
        # Nothing filled in: each field's error, in the summary and beside it.
        d.find_element(By.CSS_SELECTOR, "#sign-in button[type=submit]").click()
        text = self.summary_text()
        self.assertIn("Enter your user ID or work e-mail", text)
        self.assertIn("Enter your password", text)
        self.assertEqual(d.switch_to.active_element.get_attribute("id"), "error-summary")
        self.assertEqual(d.find_element(By.ID, "password").get_attribute("aria-invalid"), "true")
        self.assertIn("password-error", d.find_element(By.ID, "password").get_attribute("aria-describedby"))
        # A code that is not six digits is said so before anything is sent.
        d.find_element(By.ID, "code").send_keys("12a")
        d.find_element(By.CSS_SELECTOR, "#sign-in button[type=submit]").click()
        self.wait(lambda _: "Enter the 6-digit code" in self.summary_text())
        self.check_page("sign-in-errors-en")
        # A wrong code: one answer for every failure.
        wrong = "%06d" % ((int(totp(uri)) + 1) % 1000000)
        self.sign_in(person_id, one_time, wrong)
        self.wait(lambda _: "Sign-in failed" in self.summary_text())
        # The right one: the password must be chosen first.
        self.sign_in(person_id, one_time, totp(uri))
        self.wait(EC.url_contains("/change-password"))
        self.check_page("change-password-en")
        cookies = self.session_cookie()
        self.assertTrue(cookies["hirs_session"]["httpOnly"])
        self.assertEqual(cookies["hirs_session"]["sameSite"], "Strict")
        self.assertFalse(cookies["hirs_csrf"]["httpOnly"])
        # A common password: the API's field violation, beside its field.
        d.find_element(By.ID, "current_password").send_keys(one_time)
        d.find_element(By.ID, "new_password").send_keys("password1234")
        d.find_element(By.CSS_SELECTOR, "#change-password button[type=submit]").click()
        self.summary_text()
        error = self.wait(EC.visibility_of_element_located((By.ID, "new_password-error")))
        self.assertTrue(error.text.strip())
        d.find_element(By.ID, "new_password").clear()
        d.find_element(By.ID, "new_password").send_keys(PASSWORD)
        d.find_element(By.CSS_SELECTOR, "#change-password button[type=submit]").click()
        self.wait(lambda drv: urllib.parse.urlparse(drv.current_url).path == "/")
        self.wait(EC.text_to_be_present_in_element((By.ID, "home-welcome"), "Welcome"))
        links = [a.get_attribute("href") for a in d.find_elements(By.CSS_SELECTOR, "#home-tasks a")]
        self.assertEqual([urllib.parse.urlparse(h).path for h in links], ["/report", "/reports"])
        self.check_page("home-en")
        # The audit trail names the person.
        status, _, entries = api("GET", f"/v1/auditEntries?principal_id={person_id}", token=ADMIN_TOKEN)
        self.assertEqual(status, 200, entries)
        methods = [e["method"] for e in entries.get("entries", [])]
        self.assertIn("hirs.v1.SessionService/SignIn", methods)
        self.assertIn("hirs.v1.SessionService/ChangePassword", methods)

    def test_a_first_sign_in_sets_up_the_second_factor_from_the_page(self):
        d = self.driver
        for lang in ("en", "ur"):
            self.driver.delete_all_cookies()
            person_id, one_time, _ = create_person()
            self.open(f"/sign-in?lang={lang}")
            self.sign_in(person_id, one_time, "")  # no authenticator yet
            self.wait(EC.url_contains("/enrol"))
            qr = self.wait(EC.visibility_of_element_located((By.ID, "enrol-qr")))
            self.assertTrue(d.execute_script("return arguments[0].naturalWidth > 0", qr), "the QR code is drawn")
            self.check_page(f"enrol-{lang}")
            key = d.find_element(By.ID, "enrol-key").text.replace(" ", "")
            # A wrong code: said beside the field; the session holds.
            d.find_element(By.ID, "code").send_keys("000000")
            d.find_element(By.ID, "enrol-submit").click()
            self.wait(EC.visibility_of_element_located((By.ID, "code-error")))
            d.find_element(By.ID, "code").clear()
            d.find_element(By.ID, "code").send_keys(totp(f"otpauth://totp/x?secret={key}"))
            d.find_element(By.ID, "enrol-submit").click()
            self.wait(EC.url_contains("/change-password"))
        # From now on the code is needed.
        status, _, _ = api("POST", "/v1/sessions:signIn", {"login": person_id, "password": one_time})
        self.assertEqual(status, 401)

    def test_sign_out_ends_the_session_on_the_server(self):
        self.signed_in_person()
        token = self.session_cookie()["hirs_session"]["value"]
        self.assertEqual(api("GET", "/v1/caller", token=token)[0], 200)
        self.wait(EC.element_to_be_clickable((By.ID, "hirs-sign-out"))).click()
        self.wait(EC.url_contains("/sign-in"))
        self.assertNotIn("hirs_session", {k for k, v in self.session_cookie().items() if v["value"]})
        self.assertEqual(api("GET", "/v1/caller", token=token)[0], 401)

    def test_a_session_left_idle_ends(self):
        d = self.driver
        person_id, one_time, uri = create_person(addr=BRIEF_ADDR)
        d.get(f"http://{BRIEF_ADDR}/sign-in")
        self.sign_in(person_id, one_time, totp(uri))
        self.wait(EC.url_contains("/change-password"))
        self.assertEqual(api("GET", "/v1/caller", addr=BRIEF_ADDR,
                             headers={"Cookie": f"hirs_session={self.session_cookie()['hirs_session']['value']}"})[0], 200)
        time.sleep(5)  # idle past the 4 seconds
        d.get(f"http://{BRIEF_ADDR}/change-password")
        self.wait(EC.url_contains("/sign-in"))

    def test_disabling_a_person_ends_their_session(self):
        person_id, _ = self.signed_in_person(role="POLICE", scope="E23000021")
        status, _, _ = api("POST", f"/v1/people/{person_id}:disable", {}, token=ADMIN_TOKEN)
        self.assertEqual(status, 200)
        self.open("/")
        self.wait(EC.url_contains("/sign-in"))

    def test_csrf_token_and_origin_guard_every_change(self):
        self.signed_in_person()
        cookies = self.session_cookie()
        cookie = f"hirs_session={cookies['hirs_session']['value']}; hirs_csrf={cookies['hirs_csrf']['value']}"
        csrf = cookies["hirs_csrf"]["value"]
        # Reading needs no token.
        self.assertEqual(api("GET", "/v1/caller", headers={"Cookie": cookie})[0], 200)
        # A change without the token, with a wrong one, or from another
        # site's page: refused, and the session goes on.
        for headers in ({"Cookie": cookie},
                        {"Cookie": cookie, "X-CSRF-Token": "0" * 64},
                        {"Cookie": cookie, "X-CSRF-Token": csrf, "Origin": "https://evil.example"},
                        {"Cookie": cookie, "X-CSRF-Token": csrf, "Sec-Fetch-Site": "cross-site"}):
            status, _, body = api("POST", "/v1/sessions:signOut", {}, headers=headers)
            self.assertEqual(status, 403, (headers, body))
            self.assertEqual(body["error"]["status"], "PERMISSION_DENIED")
        status, _, _ = api("POST", "/sign-out", {}, headers={"Cookie": cookie, "Origin": "https://evil.example"})
        self.assertEqual(status, 403)
        self.assertEqual(api("GET", "/v1/caller", headers={"Cookie": cookie})[0], 200)
        # Signing in from another site's page is refused too.
        status, _, _ = api("POST", "/sign-in", {"login": "x", "password": "y", "code": "123456"},
                           headers={"Origin": "https://evil.example"})
        self.assertEqual(status, 403)
        # With the token, from this site: the change is made.
        status, _, _ = api("POST", "/v1/sessions:signOut", {}, headers={
            "Cookie": cookie, "X-CSRF-Token": csrf, "Origin": BASE, "Sec-Fetch-Site": "same-origin"})
        self.assertEqual(status, 200)
        self.assertEqual(api("GET", "/v1/caller", headers={"Cookie": cookie})[0], 401)

    def test_pages_are_served_with_a_strict_policy(self):
        status, headers, body = api("GET", "/sign-in")
        self.assertEqual(status, 200)
        h = {k.lower(): v for k, v in headers}
        policy = h["content-security-policy"]
        self.assertIn("default-src 'self'", policy)
        self.assertIn("frame-ancestors 'none'", policy)
        self.assertNotIn("unsafe-inline", policy)
        self.assertEqual(h["x-frame-options"], "DENY")
        self.assertNotIn("<script>", body)  # no inline script: only src= and JSON data
        self.assertNotIn("http://", body.replace(BASE, ""))
        self.assertNotIn("https://", body)
        # The API keeps its own policy.
        _, headers, _ = api("GET", "/healthz")
        self.assertEqual(dict((k.lower(), v) for k, v in headers)["content-security-policy"],
                         "default-src 'none'; frame-ancestors 'none'")

    def test_every_language_and_right_to_left(self):
        d = self.driver
        for lang in LANGUAGES:
            self.open(f"/sign-in?lang={lang}")
            html = d.find_element(By.TAG_NAME, "html")
            self.assertEqual(html.get_attribute("lang"), lang)
            self.assertEqual(html.get_attribute("dir"), "rtl" if lang == "ur" else "ltr")
            self.check_page(f"sign-in-{lang}")
            d.find_element(By.CSS_SELECTOR, "#sign-in button[type=submit]").click()
            self.summary_text()
            self.check_page(f"sign-in-errors-{lang}")
        # The choice is remembered by the cookie, and Accept-Language chooses
        # for a new visitor.
        self.open("/sign-in")
        self.assertEqual(d.find_element(By.TAG_NAME, "html").get_attribute("lang"), "ur")
        status, headers, body = api("GET", "/sign-in", headers={"Accept-Language": "so;q=0.5, pl-PL, en;q=0.1"})
        self.assertEqual(dict((k.lower(), v) for k, v in headers)["content-language"], "pl")
        self.assertIn('lang="pl"', body)
        self.assertIn("Zaloguj się", body)

    def test_a_centres_pages_in_every_language(self):
        self.signed_in_person()
        for lang in LANGUAGES:
            for page in ("/", "/report", "/change-password"):
                self.open(f"{page}?lang={lang}")
                self.assertEqual(self.driver.find_element(By.TAG_NAME, "html").get_attribute("lang"), lang)
                name = page.strip("/") or "home"
                self.check_page(f"{name}-{lang}")

    def test_the_desk_pages_are_in_english_whatever_the_language_chosen(self):
        self.signed_in_person(role="POLICE", scope="E23000021")
        for page in ("/review", "/cases", "/reports"):
            self.open(f"{page}?lang=ur")
            html = self.driver.find_element(By.TAG_NAME, "html")
            self.assertEqual((html.get_attribute("lang"), html.get_attribute("dir")), ("en", "ltr"))
            self.check_page(f"{page.strip('/')}-asked-ur")

    def test_static_files_revalidate(self):
        status, headers, _ = api("GET", "/static/js/page.js")
        self.assertEqual(status, 200)
        h = dict((k.lower(), v) for k, v in headers)
        self.assertTrue(h["content-type"].startswith("text/javascript"))
        self.assertEqual(api("GET", "/static/js/page.js", headers={"If-None-Match": h["etag"]})[0], 304)
        self.assertEqual(api("GET", "/static/pages/home.html")[0], 404)
        self.assertEqual(api("GET", "/no-such-page")[0], 404)


if __name__ == "__main__":
    unittest.main(verbosity=2)
