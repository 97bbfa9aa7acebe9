import pytest

from fieldapp.domain import uscc


@pytest.mark.parametrize("code", ["91110000600037341L", "91110108551385082Q"])
def test_published_examples_pass(code: str) -> None:
    result = uscc.validate(code)
    assert result.valid, result.errors
    assert result.code == code


def test_worked_example_check_character() -> None:
    assert uscc.check_character("91110000600037341") == "L"


def test_weights_are_powers_of_three_mod_31() -> None:
    assert uscc.WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


@pytest.mark.parametrize(
    "code, fragment",
    [
        ("91110000600037342L", "校验位错误：第 18 位应为 P"),
        ("91110000600073341L", "校验位错误"),
        ("9111000060003734", "应为 18 位，实际 16 位"),
        ("91110000600O37341L", "不允许的字符 O"),
        ("330100000012345", "旧的 15 位注册号"),
        ("", "为空"),
    ],
)
def test_bad_codes_are_refused_with_a_reason(code: str, fragment: str) -> None:
    result = uscc.validate(code)
    assert not result.valid
    assert fragment in " ".join(result.errors)


def test_input_is_normalised_before_checking() -> None:
    result = uscc.validate(" ９１１１０１０８ ５５１３８５０８２ｑ ")
    assert result.valid
    assert result.code == "91110108551385082Q"


def test_letters_allowed_in_positions_one_and_two() -> None:
    code = uscc.make_code("N2", "331122", "MA27523B")
    result = uscc.validate(code)
    assert result.valid and not result.warnings, result.warnings


def test_check_character_zero_when_sum_divisible() -> None:
    # A body whose weighted sum is a multiple of 31 needs the outer "mod 31" to give "0".
    body = "00000000000000000"
    assert uscc.check_character(body) == "0"


def test_warnings_do_not_block() -> None:
    result = uscc.validate("91110000600037341L")
    assert result.valid
    assert any("浙江" in w for w in result.warnings)
    odd_pair = uscc.make_code("9Y", "331122", "MA27523B")
    assert any("不常见" in w for w in uscc.validate(odd_pair).warnings)


def test_every_generated_code_is_valid() -> None:
    for n in range(200):
        code = uscc.make_code("92", "331122", f"MA2{n:05d}")
        assert uscc.validate(code).valid
