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
