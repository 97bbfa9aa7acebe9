"""Pure domain rules: credit codes, unit types, industries, lifecycle, verdicts. No I/O."""
