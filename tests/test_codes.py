"""Label codes: short, typeable, self-checking."""
import itertools

from inspect_app import codes


def test_new_codes_are_well_formed_and_display_grouped():
    seen = {codes.new_code() for _ in range(2000)}
    assert len(seen) == 2000
    for code in seen:
        assert codes.is_well_formed(code)
        assert len(code) == 7 and not set(code) & set("ILOU")
    assert codes.display("7K3QX9M") == "7K3-QX9M"


def test_typing_is_forgiving():
    assert codes.normalize(" 7k3-qx9m ") == "7K3QX9M"
    assert codes.normalize("O1L-IOo") == "011100"
    assert codes.normalize("") == "" and codes.normalize(None) == ""


def test_every_single_symbol_error_is_caught():
    code = codes.new_code()
    for position, symbol in itertools.product(range(7), codes.ALPHABET):
        typo = code[:position] + symbol + code[position + 1:]
        assert codes.is_well_formed(typo) == (typo == code)


def test_most_neighbour_swaps_are_caught():
    caught = total = 0
    for _ in range(500):
        code = codes.new_code()
        for i in range(6):
            swapped = code[:i] + code[i + 1] + code[i] + code[i + 2:]
            if swapped != code:
                total += 1
                caught += not codes.is_well_formed(swapped)
    assert caught / total > 0.95
