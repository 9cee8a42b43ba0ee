import itertools

import numpy as np
import pandas as pd
import pytest

from toolkit import InfeasibleError, ValidationError, region_codes
from toolkit.matching import (
    PRIORITIES,
    MatchingModel,
    MatchingParams,
    compare_scopes,
    default_supply_rates,
    fairness_report,
    households_from_caseload,
    practice_model,
    resolve_scope,
    rolling_plan,
    scope_table,
    solve_scopes,
    supply_from_stock,
)

A, B = "GM0312", "GM0310"  # Bunnik, De Bilt
C3 = "GM0321"  # Houten
PAIR = [A, B]
CMIN, CMAX = (1, 2, 3, 5), (1, 2, 4, 10)


def hh(*rows, period=None):
    """Households from (size, adults, final_size) tuples, ids H1, H2, ... in arrival order."""
    out = pd.DataFrame(
        [
            {"household_id": f"H{i + 1}", "size": s, "adults": a, "children": s - a, "final_size": f}
            for i, (s, a, f) in enumerate(rows)
        ]
    )
    if period is not None:
        out["period"] = period
    return out


def supply(*rows):
    return pd.DataFrame(rows, columns=["code", "size_class", "dwellings"])


def targets(**by_code):
    return pd.DataFrame({"code": list(by_code), "target": list(by_code.values())})


def solve(h, s, t, **kw):
    kw.setdefault("scope", PAIR)
    return MatchingModel.from_frames(h, s, t, **kw).solve()


def placed(model):
    a = model.assignment_.set_index("household_id")
    return {i: (r.code, r.size_class) if r.status == "gehuisvest" else None for i, r in a.iterrows()}


def costs(model):
    """The priorities as costs (lower is better), in order."""
    return tuple(model.priorities_["cost"])


def lex_leq(a, b, tol=1e-6):
    """Cost vector a is lexicographically at most b."""
    for x, y in zip(a, b):
        if x < y - tol:
            return True
        if x > y + tol:
            return False
    return True


# ---- priorities, by hand ----------------------------------------------------


def test_priorities_are_stated_in_dutch_and_in_order():
    keys = [k for k, _, _ in PRIORITIES]
    assert keys == ["persons", "households", "sharing", "seniority", "outside", "shortfall", "fit", "preferences"]
    m = solve(hh((1, 1, 1)), supply((A, "1", 1)), targets(**{A: 1, B: 0}))
    labels = m.priorities_["priority"].tolist()
    assert labels[0].startswith("1. zoveel mogelijk personen") and "nareizigers" in labels[0]
    assert [lb.split(".")[0] for lb in labels] == [str(i) for i in range(1, 9)]


def test_linking_decides_what_pooling_gains_by_hand():
    # couple (H1) and family of 3 (H2); Bunnik one '2' dwelling (target 2), De Bilt one '3-4' (target 3)
    h = hh((2, 2, 2), (3, 2, 3))
    s = supply((A, "2", 1), (B, "3-4", 1))
    t = targets(**{A: 2, B: 3})
    # blind linking (today's practice): the couple to the largest target (De Bilt), the family to Bunnik
    blind = solve(h, s, t, scope="solo", linking="taakstelling")
    assert placed(blind) == {"H1": (B, "3-4"), "H2": None}  # the family does not fit Bunnik's '2'
    assert blind.summary_["persons_waiting"] == 3 and blind.objective_ == 3
    pooled = solve(h, s, t, linking="taakstelling")
    assert placed(pooled) == {"H1": (A, "2"), "H2": (B, "3-4")}
    assert pooled.summary_["households_outside"] == 2  # each lives outside the municipality it was linked to
    # supply-aware linking: the couple to the exact-fit '2' in Bunnik, the family to De Bilt: solo houses both
    aware = solve(h, s, t, scope="solo")
    assert placed(aware) == {"H1": (A, "2"), "H2": (B, "3-4")}
    assert aware.summary_["households_outside"] == 0 and aware.objective_ == 0
    # today's practice and the two rules on the blind-linked pooled input
    practice = practice_model(pooled)
    assert placed(practice) == {"H1": (B, "3-4"), "H2": None}
    arrival = MatchingModel.from_frames(h, s, t, scope=PAIR, linking="taakstelling").solve(method="arrival")
    assert placed(arrival) == {"H1": (B, "3-4"), "H2": None}
    largest = MatchingModel.from_frames(h, s, t, scope=PAIR, linking="taakstelling").solve(method="largest_first")
    assert placed(largest) == {"H1": (A, "2"), "H2": (B, "3-4")}


def test_kept_links_are_those_of_the_models_own_inputs():
    # the links of recent inputs are kept (every scope and reserve of a scenario links alike): another supply
    # links otherwise, and coming back to the first supply gives its links again
    h, t = hh((2, 2, 2), (3, 2, 3)), targets(**{A: 2, B: 3})
    s1 = supply((A, "2", 1), (B, "3-4", 1))  # by hand: the couple to Bunnik's '2', the family to De Bilt
    s2 = supply((A, "3-4", 1), (B, "2", 1))  # the couple to De Bilt's '2', the family to Bunnik
    for s, expected in ((s1, {"H1": A, "H2": B}), (s2, {"H1": B, "H2": A}), (s1, {"H1": A, "H2": B})):
        for scope in ("solo", PAIR):
            for reserve in (0.0, 0.5):
                a = solve(h, s, t, scope=scope, reserve=reserve).assignment_
                assert dict(zip(a["household_id"], a["linked_code"])) == expected
    blind = solve(h, s1, t, scope="solo", linking="taakstelling").assignment_  # blind: the largest target first
    assert dict(zip(blind["household_id"], blind["linked_code"])) == {"H1": B, "H2": A}


def _link_by_the_docstring(need, persons, targets, supply, cmax, preference):
    """link_households written out from its docstring: every municipality compared, one household at a time."""
    remaining, free, out = [float(t) for t in targets], [list(row) for row in supply], []
    for i in range(len(need)):
        fitting = {q: min(cm for cm, f in zip(cmax, free[q]) if cm >= need[i] and f > 0)
                   for q in range(len(remaining)) if any(cm >= need[i] and f > 0 for cm, f in zip(cmax, free[q]))}
        if fitting:
            j = min(fitting, key=lambda q: (remaining[q] <= 0, -preference[i][q], fitting[q], -remaining[q], q))
            k = min(c for c, (cm, f) in enumerate(zip(cmax, free[j])) if cm >= need[i] and f > 0)
            free[j][k] -= 1
        else:
            j = max(range(len(remaining)), key=lambda q: (remaining[q], -q))  # blind: the largest remaining target
        out.append(j)
        remaining[j] -= persons[i]
    return out


@pytest.mark.parametrize("seed", range(12))
def test_supply_aware_linking_follows_its_rule_on_random_instances(seed):
    from toolkit.matching import link_households

    rng = np.random.default_rng(seed)
    U, M = 60, 7
    need = rng.integers(1, 8, U)
    persons = need + rng.integers(0, 2, U)
    targets = rng.integers(0, 12, M).astype(float)  # ties and municipalities without a target
    supply = rng.integers(0, 3, (M, 4))
    preference = rng.integers(0, 2, (U, M)) * (seed % 2)  # half the seeds with preferences, with ties
    got = link_households(need, persons, targets, supply=supply, class_max=CMAX,
                          preference=preference.astype(float) if seed % 2 else None)
    assert got.tolist() == _link_by_the_docstring(need, persons, targets, supply, CMAX, preference)


def _rule_by_the_docstring(model, order):
    """The baseline rules written out: households one by one (arrival order, or largest first, ties in arrival
    order), each on a free dwelling of its own municipality if one fits, else of the municipality with the largest
    remaining target; the smallest fitting class, then the first municipality, then the first such arc."""
    t, m, c, _ = model._build_arcs()
    need, persons, supply, targets, origin, mult, unit_type, budget = model._get(
        "need", "persons", "supply", "targets", "origin", "mult", "unit_type", "budget")
    avail, budget, remaining = supply.copy(), budget.copy(), targets.astype(float).copy()
    units = list(unit_type)
    if order == "largest_first":
        units = [u for _, u in sorted(enumerate(units), key=lambda p: (-persons[p[1]], p[0]))]
    x = [0] * len(t)
    for ty in units:
        free = [k for k in range(len(t)) if t[k] == ty and mult[t[k]] == 1 and avail[m[k], c[k]] > 0 and budget[m[k]] > 0]
        if not free:
            continue
        home = [k for k in free if origin is not None and m[k] == origin[ty]]
        if not home:
            home = [k for k in free if remaining[m[k]] == max(remaining[m[q]] for q in free)]
        k = sorted(home, key=lambda k: (c[k] % 4, m[k], k))[0]
        avail[m[k], c[k]] -= 1
        budget[m[k]] -= 1
        remaining[m[k]] -= persons[ty]
        x[k] += 1
    return x


@pytest.mark.parametrize("seed", range(4))
def test_baseline_rules_follow_their_rule_on_random_instances(seed):
    h, s, t = random_instance(seed, n=40)
    for scope, linking in (("solo", "aanbod"), ("U16", "taakstelling")):
        model = MatchingModel.from_frames(h, s, t, scope=scope, region="U16", linking=linking, sharing=2 + seed % 2)
        arcs = model._build_arcs()
        for order in ("arrival", "largest_first"):
            assert model._rule(*arcs[:3], order=order).tolist() == _rule_by_the_docstring(model, order)


def test_persons_at_final_size_come_before_households_and_arrival():
    # one '3-4' dwelling: a single (first) and a referent expecting two family members (final size 3)
    h = hh((1, 1, 1), (1, 1, 3))
    m = solve(h, supply((A, "3-4", 1)), targets(**{A: 3, B: 0}))
    assert placed(m) == {"H1": None, "H2": (A, "3-4")}
    assert m.summary_["persons_housed"] == 3 and m.municipalities_.set_index("code").loc[A, "pct_target"] == 100
    # one '2' dwelling, sharing allowed: two singles (2 persons, 2 households) before a couple (2 persons, 1 household)
    h = hh((2, 2, 2), (1, 1, 1), (1, 1, 1)).assign(code=A)  # singles share with singles linked to the same municipality
    m = solve(h, supply((A, "2", 1)), targets(**{A: 2, B: 0}), sharing=2)
    assert placed(m) == {"H1": None, "H2": (A, "2"), "H3": (A, "2")}
    assert m.summary_["sharing_adults"] == 2


def test_sharing_only_when_someone_would_otherwise_wait():
    h = hh(*[(1, 1, 1)] * 4)
    enough = solve(h, supply((A, "2", 4)), targets(**{A: 4, B: 0}), sharing=2)
    assert enough.summary_["shared_dwellings"] == 0 and enough.summary_["households_housed"] == 4
    assert enough.summary_["under_occupation"] == 4  # an empty bed-space is no reason to share
    short = solve(h, supply((A, "2", 2)), targets(**{A: 4, B: 0}), sharing=2)
    assert short.summary_["shared_dwellings"] == 2 and short.summary_["households_housed"] == 4
    assert short.dwellings_["adults"].tolist() == [2, 2]
    assert short.assignment_["reason"].str.contains("anders iemand zou wachten").all()
    three = solve(hh(*[(1, 1, 1)] * 3), supply((A, "1", 1), (A, "2", 1)), targets(**{A: 3, B: 0}), sharing=2)
    assert three.summary_["shared_dwellings"] == 1 and sorted(three.dwellings_["size_class"]) == ["1", "2"]


def test_first_come_first_served_before_the_linked_municipality():
    # two singles linked to Bunnik and De Bilt; the only dwelling is in De Bilt: the first to arrive gets it
    h = hh((1, 1, 1), (1, 1, 1)).assign(code=[A, B])
    m = solve(h, supply((B, "1", 1)), targets(**{A: 1, B: 1}))
    assert placed(m) == {"H1": (B, "1"), "H2": None}
    assert m.summary_["households_outside"] == 1
    assert "regionaal geplaatst (gekoppeld aan GM0312)" in m.assignment_.set_index("household_id").loc["H1", "reason"]


def test_outside_before_shortfall_before_fit():
    # H1 linked to Bunnik; H2 unlinked is linked (supply-aware) to De Bilt, which is still short of its target
    h = hh((1, 1, 1), (1, 1, 1)).assign(code=[A, None])
    m = solve(h, supply((A, "1", 2), (B, "2", 1)), targets(**{A: 1, B: 1}))
    assert placed(m) == {"H1": (A, "1"), "H2": (B, "2")}  # an empty bed-space rather than outside De Bilt
    # both linked to a third municipality without dwellings: outside either way; the shortfall decides
    h = hh((1, 1, 1), (1, 1, 1)).assign(code=C3)
    kw = dict(scope=[A, B, C3])
    m = solve(h, supply((A, "1", 2), (B, "2", 1)), targets(**{A: 2, B: 1, C3: 0}), **kw)
    assert sorted(placed(m).values()) == sorted([(A, "1"), (B, "2")])
    p = m.priorities_.set_index("key")["value"]
    assert p["shortfall"] == pytest.approx(0.5) and p["fit"] == 1 and p["outside"] == 2
    # with De Bilt's target met elsewhere (0), fit decides: both in Bunnik's '1' dwellings
    m = solve(h, supply((A, "1", 2), (B, "2", 1)), targets(**{A: 2, B: 0, C3: 0}), **kw)
    assert sorted(placed(m).values()) == [(A, "1"), (A, "1")]


def test_under_occupation_and_no_overcrowding():
    h = hh((1, 1, 1), (5, 2, 5))
    m = solve(h, supply((A, "2", 1), (A, "3-4", 5)), targets(**{A: 6, B: 0}))
    assert placed(m)["H1"] == (A, "2")  # one empty bed-space beats two
    assert placed(m)["H2"] is None  # 5 persons never go into a 3-4 dwelling
    assert m.summary_["households_waiting"] == 1 and m.summary_["persons_waiting"] == 5


def test_final_size_on_and_off():
    h = hh((2, 2, 4))
    s = supply((A, "2", 1), (A, "3-4", 1))
    t = targets(**{A: 4, B: 0})
    assert placed(solve(h, s, t))["H1"] == (A, "3-4")
    off = solve(h, s, t, use_final_size=False)
    assert placed(off)["H1"] == (A, "2")
    assert off.assignment_["expected_overcrowding"].item() == 2
    assert off.municipalities_.set_index("code").loc[A, "expected_overcrowding"] == 2
    assert off.summary_["persons_housed"] == 4  # counted at final size either way


def test_reserve_keeps_dwellings_free():
    h = hh(*[(1, 1, 1)] * 10)
    s = supply((A, "1", 10))
    t = targets(**{A: 10, B: 0})
    m = solve(h, s, t, reserve=0.1)
    assert m.summary_["households_housed"] == 9 and m.summary_["reserve_dwellings"] == 1
    m = solve(h, s, t, reserve=0.15)  # 1.5 kept -> rounded up to 2
    assert m.summary_["households_housed"] == 8
    assert placed(m)["H10"] is None and placed(m)["H9"] is None and placed(m)["H1"] == (A, "1")


def test_needs_places_and_accessible_dwellings_are_hard():
    h = hh((1, 1, 1), (1, 1, 1)).assign(needs_medisch=[True, False])
    m = solve(h, supply((A, "1", 1), (B, "1", 1)), targets(**{A: 0, B: 2}), needs_places={"medisch": [A]})
    assert placed(m)["H1"] == (A, "1")
    # H1 needs an accessible dwelling: of Bunnik's two '3-4' one is accessible
    h = hh((3, 2, 3), (3, 2, 3)).assign(needs_accessible=[True, False])
    s = supply((A, "3-4", 2)).assign(accessible=[1])
    m = solve(h, s, targets(**{A: 6, B: 0}))
    assert placed(m) == {"H1": (A, "3-4 toegankelijk"), "H2": (A, "3-4")}
    assert "toegankelijke woning (harde eis)" in m.assignment_.set_index("household_id").loc["H1", "reason"]
    # no accessible dwelling: H1 waits although a dwelling stays free
    m = solve(h, s.assign(accessible=[0]), targets(**{A: 6, B: 0}))
    assert placed(m)["H1"] is None and m.municipalities_["dwellings_free"].sum() == 1
    with pytest.raises(ValidationError, match="accessible dwellings"):
        solve(h, s.assign(accessible=[3]), targets(**{A: 6, B: 0}))


def test_preferences_last_and_explained():
    # a single with work in De Bilt: linked there (supply-aware) and housed there, the reason names it
    h = hh((1, 1, 1), (1, 1, 1)).assign(work_code=[B, None], family_code=[None, A])
    m = solve(h, supply((A, "1", 1), (B, "1", 1)), targets(**{A: 1, B: 1}))
    assert placed(m) == {"H1": (B, "1"), "H2": (A, "1")}
    r = m.assignment_.set_index("household_id")["reason"]
    assert "werk of studie in deze gemeente (+3)" in r["H1"] and "familie in deze gemeente (+2)" in r["H2"]
    assert m.priorities_.set_index("key").loc["preferences", "value"] == 5
    # the preference never moves a household outside its linked municipality (priority 5 comes first)
    m = solve(h.assign(code=[A, B]), supply((A, "1", 1), (B, "1", 1)), targets(**{A: 1, B: 1}))
    assert placed(m) == {"H1": (A, "1"), "H2": (B, "1")}
    # school-age children count only where newcomer education is given (school_codes)
    fam = hh((3, 1, 3), (1, 1, 1)).assign(school_children=[2, 0], code=[C3, C3])
    kw = dict(scope=[A, B, C3])
    s, t = supply((A, "3-4", 1), (B, "3-4", 1), (A, "1", 1)), targets(**{A: 2, B: 2, C3: 0})
    m = solve(fam, s, t, school_codes=[B], **kw)
    assert placed(m)["H1"] == (B, "3-4")
    with pytest.raises(ValidationError, match="school_children"):
        solve(fam.assign(school_children=[3, 0]), s, t, **kw)


# ---- an independent brute force on tiny instances ----------------------------


def brute_force(need, final, origin, blocks, sup, target):
    """Lexicographic optimum by enumerating every placement (one household per dwelling, no sharing)."""
    n, (M, C) = len(need), sup.shape
    options = [[None] + [(m, c) for m in range(M) for c in range(C)
                         if blocks[m] == blocks[origin[i]] and need[i] <= CMAX[c] and sup[m, c] > 0] for i in range(n)]
    best = None
    for choice in itertools.product(*options):
        used = np.zeros((M, C), dtype=int)
        for ch in choice:
            if ch is not None:
                used[ch] += 1
        if (used > sup).any():
            continue
        housed = [i for i, ch in enumerate(choice) if ch is not None]
        pm = np.zeros(M)
        for i in housed:
            pm[choice[i][0]] += final[i]
        short = max([max(0.0, 1 - pm[m] / target[m]) for m in range(M) if target[m] > 0], default=0.0)
        cost = (-sum(final[i] for i in housed), -len(housed), 0, -sum(n - i for i in housed),
                sum(choice[i][0] != origin[i] for i in housed), short,
                sum(max(CMIN[choice[i][1]] - need[i], 0) for i in housed), 0)
        if best is None or lex_leq(cost, best) and cost != best:
            best = cost
    return best


def tiny(rng, n=4, M=2):
    need = rng.integers(1, 6, n)
    final = need.copy()
    origin = rng.integers(0, M, n)
    blocks = rng.choice([0, 1], M) if rng.random() < 0.5 else np.zeros(M, dtype=int)
    sup = rng.integers(0, 2, (M, 4))
    target = rng.integers(0, 8, M).astype(float)
    return need, final, origin, blocks, sup, target


@pytest.mark.parametrize("seed", range(12))
def test_lexicographic_optimum_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    need, final, origin, blocks, sup, target = tiny(rng)
    n = len(need)
    m = MatchingModel.from_arrays(need, final, np.ones(n, dtype=int), origin, sup, target, blocks=blocks).solve()
    expected = brute_force(need, final, origin, blocks, sup, target)
    assert np.allclose(costs(m), expected, atol=1e-6), (costs(m), expected)


@pytest.mark.parametrize("seed", range(6))
def test_pools_solved_apart_match_brute_force(seed):
    """Four municipalities in three pools (two alone, one pair): the decomposed solve against enumeration."""
    rng = np.random.default_rng(500 + seed)
    need, final, origin, _, _, target = tiny(rng, n=5, M=4)
    blocks = np.array([0, 0, 1, 2])
    sup = rng.integers(0, 2, (4, 4))
    m = MatchingModel.from_arrays(need, final, np.ones(5, dtype=int), origin, sup, target, blocks=blocks).solve()
    expected = brute_force(need, final, origin, blocks, sup, target)
    assert np.allclose(costs(m), expected, atol=1e-6), (costs(m), expected)


def test_pools_solved_apart_match_one_problem():
    """Pool by pool (the default) against all pools as one problem, one priority at a time, on 60 instances.

    Several pools, some of one municipality; with reserve, sharing groups,
    preferences and a fairness band in turn. The largest shortfall couples the
    pools; the per-municipality range over equal optima must agree as well.
    """
    rng = np.random.default_rng(77)
    for i in range(60):
        M, T = int(rng.integers(3, 7)), int(rng.integers(3, 8))
        a = random_arrays(rng, M=M, T=T)
        a["blocks"] = rng.integers(0, 3, M)
        kw = {}
        if i % 4 == 1:
            kw["params"] = MatchingParams(reserve=0.2)
        elif i % 4 == 2:
            kw["preference"] = rng.integers(0, 3, (T, M)).astype(float)
        elif i % 4 == 3:
            kw["params"] = MatchingParams(fairness_band=(0.1, None))
        if i % 3 == 0:  # two units of a type sharing one dwelling
            t0 = int(rng.integers(0, T))
            for k in ("need", "persons", "origin"):
                a[k] = np.append(a[k], 2 if k != "origin" else a["origin"][t0])
            a["count"] = np.append(a["count"], 0)
            kw.update(base=np.append(np.arange(T), t0), multiplier=np.append(np.ones(T, dtype=int), 2))
            if "preference" in kw:
                kw["preference"] = np.vstack([kw["preference"], kw["preference"][t0]])
        args = (a["need"], a["persons"], a["count"], a["origin"], a["supply"], a["targets"])
        build = lambda: MatchingModel.from_arrays(*args, unit_type=a["unit_type"], blocks=a["blocks"], **kw)  # noqa: E731
        try:
            apart = build().solve()
        except InfeasibleError:
            with pytest.raises(InfeasibleError):
                build().solve(decompose=False, merge=False)
            continue
        whole = build().solve(decompose=False, merge=False)
        assert np.allclose(costs(apart), costs(whole), atol=1e-6), (i, costs(apart), costs(whole))
        if i % 5 == 0:
            ra, rw = apart.persons_range(), whole.persons_range()
            assert (ra[["persons_min", "persons_max"]].to_numpy() == rw[["persons_min", "persons_max"]].to_numpy()).all(), i


# ---- properties over random small instances ---------------------------------


def random_arrays(rng, M=3, T=5):
    """Household types (need = persons), supply, targets and pools; one unit per household in random order."""
    need = rng.integers(1, 7, T)
    count = rng.integers(1, 3, T)
    origin = rng.integers(0, M, T)
    supply_ = rng.integers(0, 3, (M, 4))
    target = rng.integers(0, 10, M).astype(float)
    unit_type = rng.permutation(np.repeat(np.arange(T), count))
    return dict(need=need, persons=need, count=count, origin=origin, supply=supply_, targets=target,
                unit_type=unit_type)


def lex_model(a, **kw):
    kw.setdefault("blocks", np.arange(len(a["targets"])))
    return MatchingModel.from_arrays(a["need"], a["persons"], a["count"], a["origin"], a["supply"], a["targets"],
                                     unit_type=a["unit_type"], **kw).solve()


@pytest.mark.parametrize("chunk", range(4))
def test_properties_over_random_instances(chunk):
    """More dwellings never house fewer; a larger reserve never leaves more housed; a pool never does worse.

    Lexicographic optimality promises these for the first priority and for the
    priority vector as a whole (on the first priority where two solutions
    differ, the larger feasible set is better). 50 instances per chunk, 200 in
    all; each instance is solved as a pool and checked against two of the
    three variations in turn (one more dwelling, a larger reserve, every
    municipality alone), so each property holds on about 133 instances.
    """
    rng = np.random.default_rng(1000 + chunk)
    for i in range(50):
        a = random_arrays(rng)
        pool = np.zeros(len(a["targets"]), dtype=int)
        r1, r2 = sorted(rng.choice([0.0, 0.1, 0.2, 0.3, 0.5], 2, replace=False))
        base = lex_model(a, blocks=pool, params=MatchingParams(reserve=float(r1)))
        checks = ("dwelling", "reserve", "scope")
        for check in (checks[i % 3], checks[(i + 1) % 3]):
            if check == "dwelling":
                more = dict(a, supply=a["supply"].copy())
                more["supply"][tuple(rng.integers(0, s) for s in a["supply"].shape)] += 1
                plus = lex_model(more, blocks=pool, params=MatchingParams(reserve=float(r1)))
                if not r1:  # with a reserve, one more dwelling may also keep one more free
                    assert plus.summary_["persons_housed"] >= base.summary_["persons_housed"]
                    assert lex_leq(costs(plus), costs(base))
            elif check == "reserve":
                high = lex_model(a, blocks=pool, params=MatchingParams(reserve=float(r2)))
                assert high.summary_["persons_waiting"] >= base.summary_["persons_waiting"]
                assert high.summary_["reserve_dwellings"] >= base.summary_["reserve_dwellings"]
                assert lex_leq(costs(base), costs(high))
            else:
                solo = lex_model(a, params=MatchingParams(reserve=float(r1)))
                assert solo.summary_["persons_housed"] <= base.summary_["persons_housed"]
                assert lex_leq(costs(base), costs(solo))


def test_a_larger_scope_is_not_better_on_every_priority_separately():
    """Why the scope property is lexicographic: pooling can house more persons in fewer households."""
    # Bunnik has one '3-4' dwelling and a family of 3 linked to De Bilt; De Bilt one '1' and two singles of its own
    a = dict(need=np.array([3, 1]), persons=np.array([3, 1]), count=np.array([1, 2]), origin=np.array([1, 1]),
             supply=np.array([[0, 0, 1, 0], [1, 0, 0, 0]]), targets=np.array([3.0, 2.0]), unit_type=np.array([0, 1, 1]))
    solo = lex_model(a)
    pooled = lex_model(a, blocks=np.zeros(2, dtype=int))
    assert solo.summary_["persons_housed"] == 1 and solo.summary_["households_housed"] == 1
    assert pooled.summary_["persons_housed"] == 4 and pooled.summary_["households_housed"] == 2
    assert pooled.summary_["households_outside"] == 1 > solo.summary_["households_outside"]
    assert lex_leq(costs(pooled), costs(solo))


# ---- equal optima -----------------------------------------------------------


def test_persons_range_shows_what_the_priorities_leave_open():
    # two singles, a '1' dwelling in each municipality, equal targets, both linked to a third municipality
    h = hh((1, 1, 1), (1, 1, 1)).assign(code=C3)
    m = solve(h, supply((A, "1", 1), (B, "1", 1), (C3, "1", 0)), targets(**{A: 1, B: 1, C3: 0}), scope=[A, B, C3])
    r = m.persons_range().set_index("code")
    assert r.loc[A, "persons_min"] == r.loc[A, "persons_max"] == 1  # the shortfall priority fixes one each
    # three dwellings in Bunnik, none in De Bilt, one single: Bunnik houses it either way
    m = solve(hh((1, 1, 1)).assign(code=C3), supply((A, "1", 1), (B, "1", 1)), targets(**{A: 0, B: 0, C3: 0}),
              scope=[A, B, C3])
    r = m.persons_range().set_index("code")
    assert (r.loc[A, "persons_min"], r.loc[A, "persons_max"]) == (0, 1)
    assert r.loc[A, "persons_housed"] + r.loc[B, "persons_housed"] == 1


# ---- structure ----------------------------------------------------------------


def test_both_constructors_give_the_same_result_columns():
    h = hh((1, 1, 1), (3, 2, 3))
    fr = solve(h, supply((A, "1", 1), (A, "3-4", 1)), targets(**{A: 4, B: 0}))
    ar = MatchingModel.from_arrays([1, 3], [1, 3], [1, 1], [0, 0], np.array([[1, 0, 1, 0], [0, 0, 0, 0]]), [4, 0]).solve()
    for attr in ("municipalities_", "dwellings_", "assignment_", "flows_", "priorities_"):
        assert list(getattr(fr, attr).columns) == list(getattr(ar, attr).columns), attr
    assert list(fr.summary_.index) == list(ar.summary_.index)
    assert fr.summary_["persons_housed"] == ar.summary_["persons_housed"] == 4
    assert costs(fr) == costs(ar)


def test_params_are_one_object_and_unknown_names_are_named():
    p = MatchingParams(sharing=2, reserve=0.1)
    assert MatchingParams.build(p, reserve=0.2) == MatchingParams(sharing=2, reserve=0.2)
    with pytest.raises(ValidationError, match="unknown parameter.*'bogus'"):
        MatchingParams.build(bogus=1)
    with pytest.raises(ValidationError, match="linking"):
        MatchingParams(linking="random")
    h, s, t = hh((1, 1, 1)), supply((A, "1", 1)), targets(**{A: 1, B: 0})
    m1 = MatchingModel.from_frames(h, s, t, scope=PAIR, params=p).solve()
    m2 = MatchingModel.from_frames(h, s, t, scope=PAIR, sharing=2, reserve=0.1).solve()
    assert costs(m1) == costs(m2)


def test_resolve_scope_outside_the_model():
    s = resolve_scope("U10", region="U16", year=2016)
    assert len(s.codes) == 16 and len(s.pool) == 10 and s.label == "U10"
    assert sum(lb == "U10" for lb in s.labels) == 10 and len(set(s.blocks)) == 7
    solo = resolve_scope("solo", target_codes=PAIR)
    assert solo.codes == tuple(PAIR) and solo.blocks == (0, 1)
    with pytest.raises(ValidationError, match="empty scope"):
        resolve_scope([])


# ---- fairness band: infeasible with an explanation --------------------------


def test_fairness_band_infeasible_explains_class_municipality_and_relaxation():
    # Bunnik must house all of its 5 but has one '3-4' dwelling; families of 4, 3 and 4:
    # the best it can do alone is 4 persons; with one more 3-4 dwelling it takes 4 + 3
    h = hh((4, 2, 4), (3, 1, 3), (4, 2, 4))
    s = supply((A, "3-4", 1), (B, "3-4", 2))
    t = targets(**{A: 5, B: 3})
    with pytest.raises(InfeasibleError) as err:
        solve(h, s, t, fairness_band=(1.0, None))
    msg = str(err.value)
    assert "Bunnik (GM0312): needs at least 5 persons" in msg
    assert "can house at most 4" in msg and "size class '3-4' short by 1 dwelling" in msg
    assert "lower fairness_band[0] to 80 % or less" in msg
    assert "De Bilt (" not in msg
    sf = err.value.shortfalls
    assert sf[["code", "size_class", "dwellings_short", "lower_bound", "max_alone"]].values.tolist() == [[A, "3-4", 1, 5, 4]]


def test_infeasible_without_enough_households():
    h = hh((1, 1, 1))
    with pytest.raises(InfeasibleError, match="Even with unlimited dwellings"):
        solve(h, supply((A, "1", 3)), targets(**{A: 3, B: 0}), fairness_band=(1.0, None))


def test_fairness_band_binding_but_feasible():
    h = hh((1, 1, 1), (1, 1, 1))
    s = supply((A, "1", 2), (B, "1", 2))
    m = solve(h, s, targets(**{A: 2, B: 0}), fairness_band=(1.0, 1.0))
    assert m.municipalities_.set_index("code").loc[A, "persons_housed"] == 2
    assert fairness_report(m)["within_band"].all()


def test_reserve_named_when_it_causes_infeasibility():
    h = hh((1, 1, 1), (1, 1, 1))
    s = supply((A, "1", 2))
    with pytest.raises(InfeasibleError, match="lower reserve"):
        solve(h, s, targets(**{A: 2, B: 0}), fairness_band=(1.0, None), reserve=0.5)


# ---- invariants on a U16-sized instance ------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_outside_the_pool_placed_as_alone_is_the_same_optimum(seed):
    """U10 within the U16: the six municipalities outside the pool placed as in solo (solve(alone=)).

    Every priority keeps its optimum (against solving them again), those six
    show solo's figures, and an alone of another input is refused.
    """
    h, s, t = random_instance(700 + seed, n=80)
    kw = dict(region="U16", reserve=0.1 * (seed % 2), sharing=1 + seed % 3)
    solo = MatchingModel.from_frames(h, s, t, scope="solo", **kw).solve()
    again = MatchingModel.from_frames(h, s, t, scope="U10", **kw).solve()
    reused = MatchingModel.from_frames(h, s, t, scope="U10", **kw).solve(alone=solo)
    assert np.allclose(costs(reused), costs(again), atol=1e-6), (costs(reused), costs(again))
    figures = ["persons_housed", "households_housed", "under_occupation", "shared_dwellings",
               "linked_households_waiting", "dwellings_free"]
    outside = (reused.municipalities_["scope"] == "solo").to_numpy()
    assert outside.sum() == 6
    pd.testing.assert_frame_equal(reused.municipalities_.loc[outside, figures], solo.municipalities_.loc[outside, figures])
    pd.testing.assert_frame_equal(reused.municipalities_[figures], again.municipalities_[figures])
    assert reused.summary_["persons_housed"] == again.summary_["persons_housed"]
    assert reused.summary_["households_waiting"] == again.summary_["households_waiting"]
    if seed == 0:  # the range over equal optima fixes every priority at the values of the placements taken over
        cols = ["persons_min", "persons_max"]
        pd.testing.assert_frame_equal(reused.persons_range()[cols], again.persons_range()[cols])
    other = MatchingModel.from_frames(h, s.assign(dwellings=s["dwellings"] + 1), t, scope="solo", **kw).solve()
    with pytest.raises(ValidationError, match="alone must be this input solved"):
        MatchingModel.from_frames(h, s, t, scope="U10", **kw).solve(alone=other)
    with pytest.raises(ValidationError, match="alone must be this input solved"):
        MatchingModel.from_frames(h, s, t, scope="U10", **kw).solve(alone=again)  # not every municipality alone


def test_a_model_rescoped_solves_as_one_built_for_that_scope():
    # the scenario builds households, links and arrays once and gives each scope its pools
    h, s, t = random_instance(11, n=70)
    built = MatchingModel.from_frames(h, s, t, scope="U10", region="U16", reserve=0.1)
    for scope in ("solo", "U16", "U10"):
        direct = MatchingModel.from_frames(h, s, t, scope=scope, region="U16", reserve=0.1).solve()
        rescoped = built._rescoped(direct.scope).solve()
        pd.testing.assert_frame_equal(rescoped.municipalities_, direct.municipalities_)
        assert costs(rescoped) == pytest.approx(costs(direct))
    assert built.scope.label == "U10" and not hasattr(built, "summary_")  # the built model itself stays unsolved
    with pytest.raises(ValidationError, match="other municipalities"):
        built._rescoped(resolve_scope("U10", year=2016))  # the U10 alone, not the U16


def random_instance(seed, n=60):
    rng = np.random.default_rng(seed)
    from toolkit.regions import region_codes

    codes = region_codes("U16", 2016)
    adults = rng.choice([1, 2], n, p=[0.6, 0.4])
    children = rng.choice([0, 1, 2, 3, 4], n, p=[0.5, 0.15, 0.15, 0.1, 0.1])
    size = adults + children
    h = pd.DataFrame({
        "household_id": [f"H{i}" for i in range(n)], "size": size, "adults": adults, "children": children,
        "final_size": size + rng.choice([0, 0, 1, 2], n),
        "nationality_group": rng.choice(["a", "b", "c"], n), "referent_sex": rng.choice(["m", "v"], n),
    })
    s = pd.DataFrame([(c, k, int(rng.integers(0, 4))) for c in codes for k in ("1", "2", "3-4", "5+")],
                     columns=["code", "size_class", "dwellings"])
    w = rng.uniform(1, 10, len(codes))
    t = pd.DataFrame({"code": codes, "target": np.round(w / w.sum() * size.sum())})
    return h, s, t


@pytest.mark.parametrize("seed", [1, 2])
def test_scope_table_solo_u10_u16_and_the_baselines(seed):
    h, s, t = random_instance(seed)
    models = solve_scopes(h, s, t, scopes=("solo", "U10", "U16"), region="U16")
    table = scope_table(models).set_index("scope")
    for small, large in (("solo", "U10"), ("U10", "U16")):
        assert lex_leq(costs(models[large]), costs(models[small]))
        assert table.loc[large, "objective"] <= table.loc[small, "objective"]
    assert (table["households_housed"] + table["households_waiting"] == len(h)).all()
    # the optimum never loses to a rule; the gain is against the better rule
    for scope, row in table.iterrows():
        rules = {"huidige praktijk (elke gemeente alleen, volgorde van COA)": row["practice_persons_housed"],
                 "grootste huishouden eerst": row["largest_first_persons_housed"]}
        assert row["persons_housed"] >= max(rules.values())
        assert row["gain_vs_best_rule"] == row["persons_housed"] - max(rules.values())
        assert rules[row["best_rule"]] == max(rules.values())
    assert table["practice_persons_housed"].nunique() == 1
    assert table.attrs["priorities"][0].startswith("1.")


def test_optimum_respects_supply_and_classes():
    h, s, t = random_instance(4)
    opt = MatchingModel.from_frames(h, s, t, scope="U16").solve()
    used = opt.dwellings_.groupby(["code", "size_class"]).size()
    avail = s.set_index(["code", "size_class"])["dwellings"]
    assert (used <= avail.reindex(used.index)).all()
    a = opt.assignment_[opt.assignment_["status"] == "gehuisvest"]
    assert (a["need"] <= a["size_class"].map({"1": 1, "2": 2, "3-4": 4, "5+": 10})).all()
    for rule in ("arrival", "largest_first"):
        other = MatchingModel.from_frames(h, s, t, scope="U16").solve(method=rule)
        assert lex_leq(costs(opt), costs(other))


def test_outside_counted_per_household_as_placed():
    h, s, t = random_instance(5)
    m = MatchingModel.from_frames(h, s, t, scope="U16").solve()
    a = m.assignment_
    housed = a[a["status"] == "gehuisvest"]
    assert m.summary_["households_outside"] == int((housed["code"] != housed["linked_code"]).sum())
    assert m.municipalities_["households_outside"].sum() == m.summary_["households_outside"]


def test_nationality_and_sex_do_not_change_placement():
    h, s, t = random_instance(7)
    base = solve(h, s, t, scope="U16")
    rng = np.random.default_rng(0)
    shuffled = h.assign(nationality_group=rng.permutation(h["nationality_group"].to_numpy()),
                        referent_sex=rng.permutation(h["referent_sex"].to_numpy()))
    other = solve(shuffled, s, t, scope="U16")
    cols = ["household_id", "code", "size_class", "status"]
    pd.testing.assert_frame_equal(base.assignment_[cols], other.assignment_[cols])
    assert not {"nationality_group", "referent_sex"} & set(base.assignment_.columns)


def test_every_placement_is_explained():
    h, s, t = random_instance(8)
    h = pd.concat([h, hh(*[(1, 1, 1)] * 12).assign(household_id=lambda d: "S" + d["household_id"])], ignore_index=True)
    m = solve(h, s, t, scope="U16", sharing=3)
    a = m.assignment_
    assert a["reason"].str.len().gt(0).all() and len(a) == len(h) and a["household_id"].is_unique
    housed = a[a["status"] == "gehuisvest"]
    assert housed.loc[housed["code"] != housed["linked_code"], "reason"].str.contains("regionaal geplaatst").all()
    assert housed.loc[housed["under_occupation"] > 0, "reason"].str.contains("onderbezetting").all()


# ---- inputs -----------------------------------------------------------------


def test_caseload_converter():
    c = pd.DataFrame({
        "household_id": ["a", "b"], "nationality_group": ["x", "y"], "referent_age": [30, 40],
        "referent_sex": ["m", "v"], "partner_present": [True, False], "children_present": [2, 0],
        "family_abroad": [0, 3], "months_since_permit": [1, 2],
    })
    out = households_from_caseload(c, period="2017-I")
    assert out["size"].tolist() == [4, 1] and out["adults"].tolist() == [2, 1]
    assert out["final_size"].tolist() == [4, 4]
    assert "nationality_group" not in out and "referent_sex" not in out
    m = MatchingModel.from_frames(c, supply((A, "3-4", 2)), targets(**{A: 8, B: 0}), scope=PAIR).solve()
    assert m.summary_["households_housed"] == 2 and m.summary_["persons_housed"] == 8


def test_supply_from_stock_hand_case_and_default_rates():
    stock = pd.DataFrame({"code": ["GM0344", "GM0344"], "size_class": ["1", "2"], "dwellings": [1000, 200]})
    out = supply_from_stock(stock, turnover=0.1, share_permit_holders=0.2, periods=["2017-I", "2017-II"])
    assert out[out["period"] == "2017-I"]["dwellings"].tolist() == [10, 2]  # 1000 x 0.1 / 2 x 0.2 and 200 x 0.01
    rates = default_supply_rates()
    assert rates["turnover"] == pytest.approx(6220 / 103960)
    assert rates["share_permit_holders"] == pytest.approx(11000 / 162500)
    shipped = supply_from_stock()
    assert shipped.attrs["status"] == "schatting" and len(shipped) == 4 * 390  # every municipality of 2016


@pytest.mark.parametrize(
    "kind, match",
    [
        ("negative supply", "at least 0"),
        ("size 0", "at least 1"),
        ("too large", "larger than any dwelling class"),
        ("unknown code", "unknown municipality codes"),
        ("target outside scope", "outside the scope"),
        ("empty scope", "empty scope"),
        ("size mismatch", "adults \\+ children"),
    ],
)
def test_bad_input(kind, match):
    h = hh((2, 2, 2))
    s = supply((A, "2", 1))
    t = targets(**{A: 2, B: 0})
    kw = {"scope": PAIR}
    if kind == "negative supply":
        s = supply((A, "2", -1))
    elif kind == "size 0":
        h = h.assign(size=0, adults=0)
    elif kind == "too large":
        h = hh((11, 2, 11))
    elif kind == "unknown code":
        s = supply(("GM9999", "2", 1))
    elif kind == "target outside scope":
        t = targets(**{A: 2, B: 0, "GM0344": 3})
    elif kind == "empty scope":
        kw["scope"] = []
    elif kind == "size mismatch":
        h = h.assign(size=3, final_size=3)
    with pytest.raises(ValidationError, match=match):
        MatchingModel.from_frames(h, s, t, **kw)


def test_bad_parameters():
    h, s, t = hh((1, 1, 1)), supply((A, "1", 1)), targets(**{A: 1, B: 0})
    with pytest.raises(ValidationError, match="fairness_band"):
        MatchingModel.from_frames(h, s, t, scope=PAIR, fairness_band=(1.2, 0.8))
    with pytest.raises(ValidationError, match="reserve"):
        MatchingModel.from_frames(h, s, t, scope=PAIR, reserve=1.5)
    with pytest.raises(ValidationError, match="sharing"):
        MatchingModel.from_frames(h, s, t, scope=PAIR, sharing=0)
    with pytest.raises(ValidationError, match="several periods"):
        MatchingModel.from_frames(h, pd.concat([s.assign(period="2017-I"), s.assign(period="2017-II")]), t, scope=PAIR)


# ---- over time --------------------------------------------------------------


def test_rolling_plan_carries_waiting_households_and_backlog():
    h = pd.concat([hh((1, 1, 1), (1, 1, 1), period="2017-I"),
                   hh((1, 1, 1), period="2017-II").assign(household_id="H3")], ignore_index=True)
    s = pd.concat([supply((A, "1", 1)).assign(period=p) for p in ("2017-I", "2017-II")], ignore_index=True)
    t = pd.concat([targets(**{A: 2, B: 0}).assign(period=p) for p in ("2017-I", "2017-II")], ignore_index=True)
    plan = rolling_plan(h, s, t, scope=PAIR)
    m = plan.municipalities.set_index(["period", "code"])
    assert m.loc[("2017-I", A), "persons_housed"] == 1
    assert m.loc[("2017-II", A), "target_incl_backlog"] == 3  # 2 + 2 cumulative minus 1 housed
    assert m.loc[("2017-II", A), "cum_housed"] == 2 and m.loc[("2017-II", A), "cum_pct"] == pytest.approx(50)
    a = plan.assignment[plan.assignment["plan_period"] == "2017-II"].set_index("household_id")
    assert a.loc["H2", "status"] == "gehuisvest"  # the carried household arrived first
    assert a.loc["H3", "status"] == "wachtend"
    assert plan.regional["households_waiting"].tolist() == [1, 1]


def test_from_arrays_bad_input():
    with pytest.raises(ValidationError, match="at least 0"):
        MatchingModel.from_arrays(need=[1], persons=[1], count=[1], origin=[0], supply=[[-1, 0, 0, 0]], targets=[1])
    with pytest.raises(ValidationError, match="larger than any dwelling class"):
        MatchingModel.from_arrays(need=[12], persons=[12], count=[1], origin=[0], supply=[[1, 0, 0, 0]], targets=[1])
    with pytest.raises(ValidationError, match="at least one municipality"):
        MatchingModel.from_arrays(need=[1], persons=[1], count=[1], origin=[0], supply=np.zeros((0, 4)), targets=[])


def test_synthetic_caseload_runs_through_the_model():
    from toolkit.households import synthetic_caseload

    c = synthetic_caseload(40, seed=3)
    s = supply_from_stock(share_permit_holders=0.2)
    s = s[s["code"].isin(region_codes("U16", 2016))]
    t = pd.DataFrame({"code": s["code"].unique(), "target": 5.0})
    m = MatchingModel.from_frames(c, s, t, scope="U16").solve()
    a = m.assignment_
    assert len(a) == 40 and set(a["household_id"]) == set(c["household_id"])
    sizes = 1 + c["partner_present"].astype(int) + c["children_present"]
    assert a.set_index("household_id")["size"].to_dict() == dict(zip(c["household_id"], sizes))


def test_compare_scopes_table_shape():
    h, s, t = random_instance(9)
    table = compare_scopes(h, s, t, scopes=("solo", "U16"))
    assert table["scope"].tolist() == ["solo", "U16"]
    assert table["gain_vs_first"].iloc[0] == 0
    assert table["gain_vs_first"].iloc[1] == table["households_housed"].iloc[1] - table["households_housed"].iloc[0]


def test_compare_scopes_matches_separate_solves_and_names_unknown_parameters():
    h, s, t = random_instance(9)
    table = compare_scopes(h, s, t, scopes=("solo", "U16"), reserve=0.1).set_index("scope")
    for scope in ("solo", "U16"):
        alone = MatchingModel.from_frames(h, s, t, scope=scope, region="U16", reserve=0.1).solve()
        assert table.loc[scope, "objective"] == pytest.approx(alone.objective_)
    with pytest.raises(ValidationError, match="bogus"):
        compare_scopes(h, s, t, scopes=("solo",), bogus=1)


def test_rolling_plan_balances_the_cumulative_share():
    # period 1: only Bunnik has dwellings, both singles go there (1 above its target);
    # period 2: both have a dwelling; the new single goes to De Bilt, which is behind
    h = pd.concat([hh((1, 1, 1), (1, 1, 1), period="2017-I"),
                   hh((1, 1, 1), period="2017-II").assign(household_id="H3")], ignore_index=True)
    s = pd.concat([supply((A, "1", 2)).assign(period="2017-I"),
                   supply((A, "1", 1), (B, "1", 1)).assign(period="2017-II")], ignore_index=True)
    t = pd.concat([targets(**{A: 1, B: 1}).assign(period=p) for p in ("2017-I", "2017-II")], ignore_index=True)
    plan = rolling_plan(h, s, t, scope=PAIR)
    a = plan.assignment.set_index(["plan_period", "household_id"])
    assert a.loc[("2017-I", "H1"), "code"] == A and a.loc[("2017-I", "H2"), "code"] == A
    assert a.loc[("2017-II", "H3"), "code"] == B
    m = plan.municipalities.set_index(["period", "code"])
    assert m.loc[("2017-II", A), "target_incl_backlog"] == 0 and m.loc[("2017-II", B), "target_incl_backlog"] == 2
    assert m.loc[("2017-II", B), "cum_pct"] == pytest.approx(50)


def test_caseload_placement_columns_are_validated_at_the_boundary():
    c = pd.DataFrame({
        "household_id": ["a", "b"], "nationality_group": ["x", "y"], "referent_age": [30, 40],
        "referent_sex": ["m", "v"], "partner_present": [True, False], "children_present": [2, 0],
        "family_abroad": [0, 0], "months_since_permit": [1, 2],
        "work_code": ["310", None], "needs_accessible": ["nee", "ja"], "school_children": [2, 0],
    })
    out = households_from_caseload(c)
    assert out["work_code"].tolist()[0] == B and out["needs_accessible"].tolist() == [False, True]
    m = MatchingModel.from_frames(c, supply((A, "3-4", 1), (B, "3-4", 1), (A, "1", 1)).assign(accessible=[0, 0, 1]),
                                  targets(**{A: 4, B: 4}), scope=PAIR).solve()
    assert placed(m) == {"a": (B, "3-4"), "b": (A, "1 toegankelijk")}  # linked to where the work is
    with pytest.raises(ValidationError, match="work_code"):
        households_from_caseload(c.assign(work_code=["Utrecht", None]))
    with pytest.raises(ValidationError, match="school_children at most"):
        households_from_caseload(c.assign(school_children=[3, 0]))
    with pytest.raises(ValidationError, match="needs_accessible"):
        households_from_caseload(c.assign(needs_accessible=["misschien", "ja"]))


def _draw(i, h, s, t, **kw):
    """One draw: the scope table of solo and the pair, solved on (h, s, t), with its draw number."""
    return scope_table(solve_scopes(h, s, t, scopes=("solo", PAIR), region=PAIR, **kw)).assign(draw=i)


def test_pooling_gain_range_by_hand():
    from toolkit.matching import pooling_gain_range

    # the couple H1 and the family H2 of test_linking_decides_what_pooling_gains_by_hand, blind linking:
    # draw 0: Bunnik '2', De Bilt '3-4': alone only the couple is housed (2 persons), together both (5)
    # draw 1: a '3-4' in each municipality: alone and together both are housed, no gain
    h, t = hh((2, 2, 2), (3, 2, 3)), targets(**{A: 2, B: 3})
    d0 = _draw(0, h, supply((A, "2", 1), (B, "3-4", 1)), t, linking="taakstelling")
    d1 = _draw(1, h, supply((A, "3-4", 1), (B, "3-4", 1)), t, linking="taakstelling")
    assert d0["persons_housed"].tolist() == [2, 5] and d1["persons_housed"].tolist() == [5, 5]
    out = pooling_gain_range(pd.concat([d0, d1]))
    assert out["gain_persons"].tolist() == [0, 3, 0, 0] and out["gain_households"].tolist() == [0, 1, 0, 0]
    r = out.attrs["range"].set_index("scope").loc["eigen selectie"]
    assert (r["gain_persons_min"], r["gain_persons_max"], r["draws_with_gain"], r["draws"]) == (0, 3, 1, 2)
    # largest-household-first houses both in the pair in both draws (in draw 1 today's practice too, a tie):
    # the optimum gains nothing over the best rule
    assert (r["rule_gain_min"], r["rule_gain_max"]) == (0, 0)
    assert r["best_rules"] == "grootste huishouden eerst, huidige praktijk (elke gemeente alleen, volgorde van COA)"
    assert out.attrs["heading"] == ("Eigen selectie: geen zekere winst; 0 tot 3 personen meer gehuisvest dan elke "
                                    "gemeente alleen (meer in 1 van de 2 trekkingen)")
    assert out.attrs["conclusion"] == ("Eigen selectie huisvest de optimale verdeling in geen van de 2 trekkingen meer "
                                       "personen dan de beste eenvoudige regel van elke trekking: die regel haalt hier "
                                       "hetzelfde.")
    # the gain in every draw: draw 0 twice
    twice = pooling_gain_range(pd.concat([d0, d0.assign(draw=1)]))
    assert twice.attrs["heading"] == ("Eigen selectie 3 personen (1 huishouden) meer gehuisvest dan elke gemeente "
                                      "alleen (in alle 2 trekkingen)")
    # no gain in any draw
    assert pooling_gain_range(d1).attrs["heading"] == ("Eigen selectie in 1 trekking niet meer personen gehuisvest "
                                                       "dan elke gemeente alleen")


def test_pooling_conclusion_claims_the_optimum_only_when_every_draw_shows_it():
    from toolkit.matching import pooling_gain_range

    def draws(rule_gains):
        n = len(rule_gains)
        return pd.DataFrame({"draw": np.repeat(range(n), 2), "scope": ["solo", "U16"] * n,
                             "households_housed": [10, 12] * n, "persons_housed": [30, 36] * n,
                             "gain_vs_best_rule": [x for g in rule_gains for x in (0, g)],
                             "best_rule": "grootste huishouden eerst"})

    sure = pooling_gain_range(draws([2, 5, 1])).attrs
    assert sure["heading"] == ("Samen als U16 6 personen (2 huishoudens) meer gehuisvest dan elke gemeente alleen "
                               "(in alle 3 trekkingen)")
    assert sure["conclusion"] == ("Samen als U16 huisvest de optimale verdeling 1 tot 5 personen meer dan de beste "
                                  "eenvoudige regel (grootste huishouden eerst), in alle 3 trekkingen.")
    unsure = pooling_gain_range(draws([0, 4, 0])).attrs["conclusion"]
    assert "0 tot 4 personen meer" in unsure and "meer in 1 van de 3 trekkingen" in unsure
    assert "geen zekere winst van de optimalisatie" in unsure
    for text in (sure["heading"], sure["conclusion"], unsure):
        assert "loont" not in text


def test_pooling_gain_range_bad_input():
    from toolkit.matching import pooling_gain_range

    with pytest.raises(ValidationError, match="missing column"):
        pooling_gain_range(pd.DataFrame({"draw": [0], "scope": ["solo"]}))
    mixed = pd.DataFrame({"draw": [0, 0, 1, 1], "scope": ["solo", "U16", "U16", "solo"],
                          "households_housed": 1, "persons_housed": 1})
    with pytest.raises(ValidationError, match="same scopes in the same order"):
        pooling_gain_range(mixed)


# ---- monotone answers over 200 random instances per property ------------------


@pytest.mark.parametrize("chunk", range(4))
def test_monotone_answers_over_200_random_instances(chunk):
    """Each property on 50 instances per chunk, 200 in all, every instance in a random scope and reserve.

    What is guaranteed, with the households' links fixed (here: given origins), and what is checked:

    - one more dwelling never houses fewer: the pair (persons housed, households housed) is
      lexicographically at least as large, and so is the whole priority vector;
    - a larger reserve never leaves fewer waiting: the pair (persons waiting, households waiting) is
      lexicographically at least as large, and the priority vector at most as good;
    - a larger scope (solo, a pool of two, all three together) is never worse in the lexicographic
      order of the priorities: the larger pool's priority vector is lexicographically at least as
      good. Not on every priority separately (test_a_larger_scope_is_not_better_on_every_priority_separately).
    """
    rng = np.random.default_rng(2000 + chunk)
    scopes = {"solo": np.arange(3), "twee": np.array([0, 0, 1]), "samen": np.zeros(3, dtype=int)}
    for _ in range(50):
        a = random_arrays(rng)
        blocks = scopes[rng.choice(list(scopes))]
        r1, r2 = sorted(rng.choice([0.0, 0.1, 0.2, 0.3, 0.5], 2, replace=False))
        base = lex_model(a, blocks=blocks, params=MatchingParams(reserve=float(r1)))
        b = base.summary_

        more = dict(a, supply=a["supply"].copy())
        more["supply"][tuple(rng.integers(0, s) for s in a["supply"].shape)] += 1
        plus = lex_model(more, blocks=blocks, params=MatchingParams(reserve=float(r1)))
        p = plus.summary_
        assert (p["persons_housed"], p["households_housed"]) >= (b["persons_housed"], b["households_housed"])
        assert lex_leq(costs(plus), costs(base))

        high = lex_model(a, blocks=blocks, params=MatchingParams(reserve=float(r2)))
        h = high.summary_
        assert (h["persons_waiting"], h["households_waiting"]) >= (b["persons_waiting"], b["households_waiting"])
        assert lex_leq(costs(base), costs(high))

        solved = {k: base if v is blocks else lex_model(a, blocks=v, params=MatchingParams(reserve=float(r1)))
                  for k, v in scopes.items()}
        assert lex_leq(costs(solved["twee"]), costs(solved["solo"]))
        assert lex_leq(costs(solved["samen"]), costs(solved["twee"]))
        assert solved["samen"].summary_["persons_housed"] >= solved["solo"].summary_["persons_housed"]


def test_a_larger_reserve_does_not_move_the_links_by_hand():
    """Supply-aware links are made before the reserve, so a larger reserve cannot house more (solo).

    Bunnik has a '1' and two '3-4', De Bilt two '1', Houten one '1'; targets 9, 2, 1. In arrival order
    H1 (5, no fitting dwelling anywhere) goes to Bunnik (largest target), H2 (3) and H3 (2) to Bunnik's
    '3-4's, H4 (4) finds none free and goes to De Bilt, which has only '1's: 5 persons housed. If the
    links counted a 30 % reserve (one '3-4' left in Bunnik), H3 would go to De Bilt and H4 to Bunnik:
    7 housed with the larger reserve.
    """
    h = hh((5, 2, 5), (3, 2, 3), (2, 2, 2), (4, 2, 4))
    s = supply((A, "1", 1), (A, "3-4", 2), (B, "1", 2), (C3, "1", 1))
    t = targets(**{A: 9, B: 2, C3: 1})
    low = solve(h, s, t, scope="solo", region=[A, B, C3])
    high = solve(h, s, t, scope="solo", region=[A, B, C3], reserve=0.3)
    assert low.assignment_.set_index("household_id")["linked_code"].to_dict() == {"H1": A, "H2": A, "H3": A, "H4": B}
    assert high.assignment_["linked_code"].tolist() == low.assignment_["linked_code"].tolist()
    assert low.summary_["persons_housed"] == 5 and high.summary_["persons_housed"] <= 5
