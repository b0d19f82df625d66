import numpy as np
import pytest

from mitprof.errors import SpecError
from mitprof.observables import parse_observable


@pytest.mark.parametrize("text, terms", [
    ("ZZ", [(1.0, "ZZ")]),
    ("0.5*ZZII+0.5*IIZZ", [(0.5, "ZZII"), (0.5, "IIZZ")]),
    ("-1*XX + 2e-1*ZZ", [(-1.0, "XX"), (0.2, "ZZ")]),
    ("0.5*ZZ+-0.5*XX", [(0.5, "ZZ"), (-0.5, "XX")]),
    ("ZZ+ZZ", [(2.0, "ZZ")]),
])
def test_parse(text, terms):
    assert list(parse_observable(text).terms) == terms


@pytest.mark.parametrize("text, fragment", [
    ("", "empty"), ("ZQ", "cannot parse"), ("ZZ+ZZZ", "lengths"), ("ZZ-ZZ", "zero"),
])
def test_parse_errors(text, fragment):
    with pytest.raises(SpecError, match=fragment):
        parse_observable(text)


def test_width_mismatch_names_both_sizes():
    with pytest.raises(SpecError, match="acts on 2 qubits but the circuit has 3"):
        parse_observable("ZZ", 3)


def test_groups_split_non_commuting_bases():
    groups = parse_observable("0.5*XX+0.5*ZZ").groups
    assert sorted(g.basis for g in groups) == ["XX", "ZZ"]
    assert len(parse_observable("0.5*ZZI+0.5*IZZ").groups) == 1


def test_groups_are_canonical_whatever_the_term_order():
    """The engine draws random numbers and sums terms in group order, so it must not
    depend on the order the terms were written in, nor on Mitiq's shuffle."""
    terms = ["0.4*ZZI", "0.3*IZZ", "0.2*ZIZ", "0.5*XXI", "0.1*IXX", "0.7*YIY"]

    def layout(text):
        return [(g.measured_qubits, g.basis, g.terms) for g in parse_observable(text).groups]

    first = layout("+".join(terms))
    assert len(first) > 1  # several groups, several terms in some
    for shift in range(1, len(terms)):
        assert layout("+".join(terms[shift:] + terms[:shift])) == first
    assert all(layout("+".join(terms)) == first for _ in range(5))  # fresh shuffles


def test_expectation_from_bits_agrees_with_probabilities():
    obs = parse_observable("0.5*ZZI+0.25*IIZ-0.5*ZII")
    (group,) = obs.groups
    rng = np.random.default_rng(1)
    probs = rng.dirichlet(np.ones(8))
    outcomes = rng.choice(8, size=200_000, p=probs)
    bits = ((outcomes[:, None] >> np.array([2, 1, 0])) & 1).astype(np.uint8)
    exact = group.expectation_from_probabilities(probs)
    # each term's sample mean has variance <= 1/N; the weighted sum <= (sum |c|)^2 / N
    bound = 5 * 1.25 / np.sqrt(len(outcomes))
    assert abs(group.expectation(bits) - exact) < bound
    # computed by hand from the definition for a point mass on |011>
    point = np.zeros(8)
    point[0b011] = 1.0
    assert group.expectation_from_probabilities(point) == pytest.approx(0.5 * -1 + 0.25 * -1 - 0.5)
