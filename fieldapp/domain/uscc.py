"""统一社会信用代码 (Unified Social Credit Code) per GB 32100-2015.

Layout: 1 registering department, 2 entity category, 3-8 region code, 9-17 organisation code
(GB 11714), 18 check character. The character set has 31 symbols (no I, O, S, V, Z); positions
1-2 may be letters (e.g. ``N2`` village collectives), and the check character can be any of the 31.

Hard errors (the code cannot be right): wrong length, a character outside the set, a wrong check
character, a non-digit region code. Warnings (the code may still be right): an unknown
department/category pair, a region outside Zhejiang, a failed GB 11714 check of positions 9-17.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(CHARSET)}
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28

# Registering department -> allowed entity categories.
DEPARTMENT_CATEGORIES: dict[str, str] = {
    "1": "1239",
    "2": "19",
    "3": "123459",
    "4": "19",
    "5": "1239",
    "6": "129",
    "7": "129",
    "8": "19",
    "9": "123",
    "A": "19",
    "N": "1239",
    "Y": "1",
}

ZHEJIANG_REGION_PREFIX = "33"
_ORG_CHARSET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def normalize(raw: str) -> str:
    """Full-width to half-width (NFKC), drop spaces and dashes, upper-case."""
    text = unicodedata.normalize("NFKC", raw)
    return "".join(ch for ch in text if not ch.isspace() and ch not in "-_").upper()


def check_character(body: str) -> str:
    """The check character for the first 17 characters ``body``."""
    if len(body) != 17:
        raise ValueError("body must be 17 characters")
    total = sum(_VALUE[c] * w for c, w in zip(body, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def org_code_check(org8: str) -> str:
    """GB 11714 check character for the 8-character organisation code body."""
    total = sum(_ORG_CHARSET.index(c) * w for c, w in zip(org8, _ORG_WEIGHTS, strict=True))
    rest = 11 - total % 11
    return {10: "X", 11: "0"}.get(rest, str(rest))


@dataclass(frozen=True)
class UsccCheck:
    code: str
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors


def validate(raw: str) -> UsccCheck:
    """Normalise and check a credit code; messages are in Chinese and say what is wrong."""
    code = normalize(raw)
    errors: list[str] = []
    warnings: list[str] = []
    if not code:
        return UsccCheck(code, ["统一社会信用代码为空"])
    if len(code) == 15 and code.isdigit():
        return UsccCheck(code, ["这是旧的 15 位注册号，请填写 18 位统一社会信用代码（见营业执照）"])
    if len(code) != 18:
        return UsccCheck(code, [f"应为 18 位，实际 {len(code)} 位"])
    bad = sorted({c for c in code if c not in _VALUE})
    if bad:
        hint = "（I、O、S、V、Z 不会出现在信用代码中，请核对是否为 1、0、5、U、2）"
        return UsccCheck(code, [f"含有不允许的字符 {'、'.join(bad)}{hint}"])
    if not code[2:8].isdigit():
        errors.append(f"第 3–8 位行政区划码应为数字，实际为 {code[2:8]}")
    expected = check_character(code[:17])
    if code[17] != expected:
        errors.append(f"校验位错误：第 18 位应为 {expected}，实际为 {code[17]}，请核对是否抄错")
    if errors:
        return UsccCheck(code, errors)
    dept, cat = code[0], code[1]
    if cat not in DEPARTMENT_CATEGORIES.get(dept, ""):
        warnings.append(f"登记管理部门/机构类别代码 {dept}{cat} 不常见，请核对")
    if not code.startswith(ZHEJIANG_REGION_PREFIX, 2):
        warnings.append(f"行政区划码 {code[2:8]} 不在浙江省（33 开头）")
    org = code[8:17]
    if org[8] != org_code_check(org[:8]):
        warnings.append("第 9–17 位组织机构代码校验未通过（仅提示）")
    return UsccCheck(code, errors, warnings)


def make_code(prefix: str, region: str, org8: str) -> str:
    """Build a valid code from a 2-character prefix, 6-digit region and 8-character org body.

    Used by the demo-data generator and by tests; the org check and the final check character
    are computed.
    """
    body = prefix + region + org8 + org_code_check(org8)
    return body + check_character(body)
