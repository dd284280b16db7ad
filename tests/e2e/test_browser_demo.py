"""The demo, clicked through in a real browser: chromium headless drives `garde serve --demo`.

ENT médiacentre -> resource tile -> (publisher A's login URL ->) garde -> demo ENT login page ->
pick an account -> auto-POST forms -> the publisher's page shows exactly what it received:
  - pupil elv-0001 on resource A: a pseudonym and exactly IDO, PRO, UAI, DIV (no NOM, no PRE);
  - teacher ens-0001 on resource A (after "switch user"): NOM, PRE, P_MEL as well;
  - resource B (direct launch): only IDO and PRO;
  - pupil elv-0003 on resource A (not assigned): garde's refusal page with a correlation id.
Screenshots land in $GARDE_BUILD_DIR/browser-demo/.
"""

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, os.pardir, "support", "python")]  # garde_harness
from garde_harness import Suite, env_path, expect  # noqa: E402
from browser_support import DemoServer, make_driver, page_text, wait_for_any  # noqa: E402

PUBLISHER_PAGE = "#nameid"
# Publisher pages that end a launch without a sign-in; garde's own refusal page is recognised by
# its text (a correlation id), see launch().
REFUSAL_MARKERS = ("#refused", "#rejected")
# garde's refusal page (in French, for pupils and teachers) gives a correlation id, "numéro de suivi".
REFUSAL_TEXT = r"(?i)correlation|num[ée]ro de suivi"


def shot(driver, out_dir, name):
    path = os.path.join(out_dir, name + ".png")
    driver.save_screenshot(path)
    return path


def received(driver):
    """(NameID, {attribute: [values]}, [not received]) from a demo publisher's page."""
    from selenium.webdriver.common.by import By

    name_id = driver.find_element(By.ID, "nameid").text.strip()
    attributes = {}
    for row in driver.find_elements(By.CSS_SELECTOR, "tr[data-attribute]"):
        values = [v.text for v in row.find_elements(By.CSS_SELECTOR, "code.value")]
        attributes[row.get_attribute("data-attribute")] = values
    missing = [e.get_attribute("data-missing")
               for e in driver.find_elements(By.CSS_SELECTOR, "[data-missing]")]
    return name_id, attributes, missing


def open_portal(driver, base):
    driver.get(base + "/demo/ent/")
    wait_for_any(driver, ["#tile-a"])


def switch_user(driver, base):
    from selenium.webdriver.common.by import By

    open_portal(driver, base)
    links = driver.find_elements(By.ID, "switch-user")
    if links:
        links[0].click()
        wait_for_any(driver, ["#tile-a"])
    expect("Not signed in" in page_text(driver), "switch user did not sign out of the demo ENT")


def launch(driver, base, link_id, user=None):
    """Clicks a tile link on the portal; picks `user` on the ENT login page if it shows.
    Returns the selector of the page it ended on."""
    from selenium.webdriver.common.by import By

    open_portal(driver, base)
    driver.find_element(By.ID, link_id).click()
    ends = [PUBLISHER_PAGE, *REFUSAL_MARKERS]
    if user is not None:
        found = wait_for_any(driver, [f"#user-{user}", *ends])
        expect(found == f"#user-{user}",
              f"expected the ENT login page after {link_id}, got {driver.current_url}")
        driver.find_element(By.ID, f"user-{user}").click()
    return wait_for_any(driver, ends, timeout=30, text_pattern=REFUSAL_TEXT)


def expect_publisher_page(driver, found, path, what):
    expect(found == PUBLISHER_PAGE,
          f"{what}: expected the publisher's page, got {driver.current_url}:\n"
          f"{page_text(driver)[:1500]}")
    expect(path in driver.current_url, f"{what}: expected {path}, at {driver.current_url}")


def main(workdir):
    garde_bin = env_path("GARDE_BIN")
    out_dir = os.path.join(env_path("GARDE_BUILD_DIR"), "browser-demo")
    os.makedirs(out_dir, exist_ok=True)
    server = DemoServer(garde_bin, os.path.join(workdir, "demo")).start()
    driver = None
    try:
        base = server.base_url
        driver = make_driver(os.path.join(workdir, "chromium"))

        # The landing page points at the ENT portal.
        driver.get(base + "/demo/")
        wait_for_any(driver, ["#ent-portal"])
        shot(driver, out_dir, "01-landing")

        # 1. Pupil elv-0001 opens resource A (bounce launch through publisher A's login URL).
        open_portal(driver, base)
        shot(driver, out_dir, "02-portal")
        from selenium.webdriver.common.by import By
        driver.find_element(By.ID, "launch-a").click()
        found = wait_for_any(driver, ["#user-elv-0001", PUBLISHER_PAGE, *REFUSAL_MARKERS],
                             text_pattern=REFUSAL_TEXT)
        expect(found == "#user-elv-0001",
              f"expected the ENT login page, got {driver.current_url}:\n{page_text(driver)[:1500]}")
        shot(driver, out_dir, "03-ent-login")
        driver.find_element(By.ID, "user-elv-0001").click()
        found = wait_for_any(driver, [PUBLISHER_PAGE, *REFUSAL_MARKERS],
                             text_pattern=REFUSAL_TEXT)
        expect_publisher_page(driver, found, "/demo/publisher-a/", "pupil on resource A")
        shot(driver, out_dir, "04-publisher-a-pupil")
        pupil_a, attrs, missing = received(driver)
        expect(pupil_a and pupil_a != "elv-0001",
              f"the NameID must be a pseudonym, not the ENT identifier: {pupil_a!r}")
        expect(set(attrs) == {"IDO", "PRO", "UAI", "DIV"},
              f"pupil on A: expected exactly IDO, PRO, UAI, DIV, got {sorted(attrs)}")
        expect("NOM" in missing and "PRE" in missing, "pupil on A: NOM/PRE not listed as missing")
        expect(attrs["IDO"] == [pupil_a], f"IDO {attrs['IDO']} is not the NameID {pupil_a}")
        expect(attrs["UAI"] == ["0561534N"], f"UAI: {attrs['UAI']}")
        expect(attrs["DIV"] == ["3A"], f"DIV: {attrs['DIV']}")
        expect(driver.find_element(By.ID, "encrypted").text.strip() == "yes",
              "publisher A's assertion should have arrived encrypted")

        # The SP session: the resource page says signed in.
        driver.find_element(By.ID, "continue").click()
        wait_for_any(driver, ["#signed-in", "#signed-out"])
        expect(driver.find_elements(By.ID, "signed-in"), "publisher A's resource page: not signed in")

        # The ENT remembers the pupil: resource A again without the login page, same pseudonym.
        found = launch(driver, base, "launch-a")
        expect_publisher_page(driver, found, "/demo/publisher-a/", "second launch of A")
        again, _, _ = received(driver)
        expect(again == pupil_a, f"the pseudonym changed between launches: {pupil_a} / {again}")

        # 2. Resource B (direct launch) for the same pupil: only IDO and PRO.
        found = launch(driver, base, "launch-b")
        expect_publisher_page(driver, found, "/demo/publisher-b/", "pupil on resource B")
        pupil_b, attrs, _ = received(driver)
        expect(set(attrs) == {"IDO", "PRO"},
              f"pupil on B: expected exactly IDO, PRO, got {sorted(attrs)}")
        expect(pupil_b != pupil_a, "publishers A and B got the same pseudonym for the pupil")

        # 3. Teacher ens-0001 on resource A, after switching user: NOM, PRE, P_MEL too.
        switch_user(driver, base)
        found = launch(driver, base, "launch-a", user="ens-0001")
        expect_publisher_page(driver, found, "/demo/publisher-a/", "teacher on resource A")
        shot(driver, out_dir, "05-publisher-a-teacher")
        teacher_a, attrs, missing = received(driver)
        expect(set(attrs) == {"IDO", "PRO", "UAI", "NOM", "PRE", "P_MEL"},
              f"teacher on A: expected IDO, PRO, UAI, NOM, PRE, P_MEL, got {sorted(attrs)}")
        expect(attrs["NOM"] == ["Durand"] and attrs["PRE"] == ["Paul"],
              f"teacher on A: NOM {attrs['NOM']}, PRE {attrs['PRE']}")
        expect(teacher_a not in (pupil_a, pupil_b), "the teacher got a pupil's pseudonym")

        # The same launch through the GAR's form (/domaineGar).
        found = launch(driver, base, "gar-a")
        expect_publisher_page(driver, found, "/demo/publisher-a/", "teacher on A via /domaineGar")
        expect(received(driver)[0] == teacher_a, "/domaineGar gave another pseudonym")

        # Resource B for the teacher: only IDO and PRO.
        found = launch(driver, base, "launch-b")
        expect_publisher_page(driver, found, "/demo/publisher-b/", "teacher on resource B")
        shot(driver, out_dir, "06-publisher-b-teacher")
        _, attrs, _ = received(driver)
        expect(set(attrs) == {"IDO", "PRO"},
              f"teacher on B: expected exactly IDO, PRO, got {sorted(attrs)}")

        # 4. Pupil elv-0003 (class 4B, not assigned resource A): garde refuses, with a correlation id.
        switch_user(driver, base)
        found = launch(driver, base, "launch-a", user="elv-0003")
        shot(driver, out_dir, "07-refused")
        text = page_text(driver)
        expect(found != PUBLISHER_PAGE, "elv-0003 reached publisher A's page")
        expect(re.search(REFUSAL_TEXT, text) is not None,
              f"the refusal page shows no correlation id, at {driver.current_url}:\n{text[:1500]}")
        expect("/demo/" not in driver.current_url,
              f"expected garde's own refusal page, got {driver.current_url}")
        ids = [e.text.strip() for e in driver.find_elements(By.CSS_SELECTOR, ".id")]
        expect(any(ids), f"no correlation id shown on the refusal page:\n{text[:1500]}")
        # The page may offer to go back to the publisher, which then gets a SAML error status.
        back = driver.find_elements(By.CSS_SELECTOR, "form[action$='/saml/idp/return'] button")
        if back:
            back[0].click()
            found = wait_for_any(driver, [PUBLISHER_PAGE, *REFUSAL_MARKERS])
            expect(found == "#refused",
                  f"publisher A should show the refusal status, got {driver.current_url}:\n"
                  f"{page_text(driver)[:1500]}")
            shot(driver, out_dir, "08-publisher-a-refused")
        print(f"screenshots in {out_dir}")
    except Exception:
        if driver is not None:
            try:
                shot(driver, out_dir, "99-failure")
            except Exception:
                pass
        print("garde output (last lines):\n" + server.output(), file=sys.stderr)
        raise
    finally:
        if driver is not None:
            driver.quit()
        server.stop()


if __name__ == "__main__":
    suite = Suite("e2e browser demo", prefix="garde-browser-")
    suite.check("the demo, clicked through in chromium: releases, pseudonyms, switch user, "
                "/domaineGar and the refusal page", main, suite.workdir)
    suite.finish()
