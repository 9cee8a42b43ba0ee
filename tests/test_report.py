import html.parser

import pandas as pd
import pytest

from toolkit.report import CSP, MAX_COLUMNS, Section, render_report, write_report

PAYLOAD = "<script>alert(1)</script>"
JINJA = "{{ 7*7 }} {% if 1 %}X{% endif %}"


def test_data_text_is_escaped_everywhere():
    table = pd.DataFrame({PAYLOAD: [PAYLOAD], "n": [1500], "aandeel": [0.5]})
    page = render_report(PAYLOAD, [Section(PAYLOAD, PAYLOAD, table=table, percent_cols=("aandeel",), caption=PAYLOAD)],
                         date="2016-10-04", subtitle=PAYLOAD, notes=[PAYLOAD])
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert ">1.500<" in page and ">50,0 %<" in page
    assert "04-10-2016" in page


def test_template_syntax_in_data_stays_text():
    page = render_report(JINJA, [Section(JINJA, JINJA, table=pd.DataFrame({JINJA: [JINJA]}))])
    assert "49" not in page and page.count("{{ 7*7 }}") >= 4


class _Meta(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.csp = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta" and a.get("http-equiv", "").lower() == "content-security-policy":
            self.csp.append(a["content"])


def test_csp_meta_forbids_every_script():
    p = _Meta()
    p.feed(render_report("r", [Section("a", "b")]))
    assert p.csp == [CSP]
    directives = dict(d.strip().split(" ", 1) for d in CSP.split(";"))
    assert directives["script-src"] == "'none'" and directives["default-src"] == "'none'"
    assert "unsafe-inline" not in directives["script-src"]


def test_wide_tables_are_split_with_the_key_column_repeated():
    wide = pd.DataFrame({"gemeente": ["A", "B"], **{f"k{i}": [i, i + 1] for i in range(12)}})
    page = render_report("r", [Section("s", table=wide)])
    assert page.count("<table>") == -(-12 // (MAX_COLUMNS - 1))
    assert page.count("<th>gemeente</th>") == page.count("<table>")
    for i in range(12):
        assert page.count(f"<th>k{i}</th>") == 1


def test_suppressed_counts_show_as_text():
    page = render_report("r", [Section("s", table=pd.DataFrame({"gemeente": ["A", "B"], "n": ["<5", 12]}))])
    assert '<td class="num">&lt;5</td>' in page and '<td class="num">12</td>' in page


def test_footer_lists_sources_and_every_status_of_mixed_tables():
    page = render_report("r", [], datasets=["housing_stock", "state_buildings"])
    assert "schatting" in page  # housing stock is an estimate
    assert "voorbeeld (fictief)" in page  # the state buildings table mixes in examples
    assert "nu.nl/utrecht" in page


def test_write_is_atomic(tmp_path, monkeypatch):
    target = tmp_path / "rapport.html"
    target.write_text("oud", encoding="utf-8")

    class Boom(Exception):
        pass

    def explode(*args, **kwargs):
        raise Boom

    monkeypatch.setattr("os.replace", explode)
    with pytest.raises(Boom):
        write_report(target, "t", [Section("a", "b")])
    assert target.read_text(encoding="utf-8") == "oud"
    assert [p.name for p in tmp_path.iterdir()] == ["rapport.html"]


# ----------------------------------------------------------------- print: A4 portrait in Chromium

A4_WIDTH_PX = 210 / 25.4 * 96  # CSS pixels of an A4 sheet
MARGIN_PX = 15 / 25.4 * 96  # the report's @page margin


@pytest.mark.browser
def test_the_demo_report_prints_on_a4_portrait_with_no_table_cut_off(offline_page, serve_dir, tmp_path):
    """The real main job's report, printed by Chromium: every table within the printable width."""
    from toolkit.demo import run_demo

    with pytest.warns(Warning):  # offline: the schematic map says so
        run_demo(tmp_path, date="2016-10-04", progress=None)
    page, blocked = offline_page()
    printable = A4_WIDTH_PX - 2 * MARGIN_PX
    page.set_viewport_size({"width": int(printable), "height": 1100})
    page.goto(serve_dir(tmp_path) + "rapport.html")
    page.emulate_media(media="print")
    tables = page.evaluate("""() => Array.from(document.querySelectorAll('table')).map(t => ({
        scroll: t.scrollWidth, right: t.getBoundingClientRect().right,
        wrap: t.parentElement.scrollWidth, head: (t.querySelector('th') || {}).textContent || ''}))""")
    assert len(tables) >= 6  # the report really has its tables
    too_wide = [t for t in tables if max(t["scroll"], t["right"], t["wrap"]) > printable + 1]
    assert too_wide == [], f"tables wider than the printable {printable:.0f} px of A4 portrait: {too_wide}"
    # and no cell whose text is cut off inside a fitting table
    cut = page.evaluate("""() => Array.from(document.querySelectorAll('td, th'))
        .filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.textContent)""")
    assert cut == [], f"cells whose text does not fit their column: {cut[:10]}"
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf[:5] == b"%PDF-" and len(pdf) > 10_000
    assert blocked == []
