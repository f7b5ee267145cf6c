"""What loading each fixture must give: exact messages for bad/, exact specs for good/.

Each bad/ entry lists the file's errors in order, as `line:column: prop: reason.
Fix: fix` without the path, which the test prefixes. Every fixture file has an
entry here and every entry a file (test_fixtures checks both ways).
"""

from __future__ import annotations

from provider.stack.guard import Allowance
from provider.stack.inuse import Retired
from provider.stack.stackfile import LineSpec

ACME = "https://acme.bitrix24.com"
_NUMBER_QUOTE = "Fix: quote it if that really is the number: number:"
_CRM_FIX = "Fix: write crm_auto_create: true or crm_auto_create: false (unquoted)"
_ADOPT_FIX = "Fix: write adopt: true or adopt: false (unquoted)"
_NAMELESS = (
    "name: is empty; the portal's clean-up agent deletes nameless lines after 90 days unused. "
    "Fix: give the line a name"
)
_ASCII_ONLY = (
    "NUMBER is matched as exact text, so it takes printable ASCII only, without spaces."
    ' Fix: write "74951234567"'
)
_INVISIBLE = (
    "a name takes no control or invisible formatting characters."
    " Fix: delete it (retype the name rather than paste it)"
)
_LINE_KEYS = "number, name, crm_auto_create, adopt, protect"
_EMPTY_FILE = "1:1: file: is empty. Fix: declare portal: and lines: (see sandbox.yaml)"
_LINES_EMPTY = (
    "lines: is empty. Fix: declare at least one line; to remove every line from the portal, "
    "run pulumi destroy"
)
_LINES_EXAMPLE = 'Fix: write lines: with entries such as - number: "74951234567"'
_ALIAS = "file: uses a YAML anchor or alias; stack files take none. Fix: write it out in full"
_TOP = "file: must be a mapping of portal, adopt, allow_deletes, in_use_guard, retire, lines, got"
_TOP_FIX = "Fix: start the file with portal: and lines:"
_ALLOW_FIX = "Fix: write allow_deletes: 12 (a number of lines) or allow_deletes: 40% (a share)"
_WINDOW = "must be a number of days from 1 to 365, or false, got"
_WINDOW_FIX = (
    "Fix: write in_use_guard: 30 (the days of call history to look at) or in_use_guard: false"
    " (delete without looking)"
)
_BARE_PORTAL = "Fix: write only scheme and host, e.g. https://acme.bitrix24.com"

BAD: dict[str, list[str]] = {
    "number_float_exponent": [
        f'3:13: number: 1.5e10 without quotes reads as a float. {_NUMBER_QUOTE} "1.5e10"'
    ],
    "number_float": [f'3:13: number: 1.5 without quotes reads as a float. {_NUMBER_QUOTE} "1.5"'],
    "number_infinity": [
        f'3:13: number: .inf without quotes reads as a float. {_NUMBER_QUOTE} ".inf"'
    ],
    "number_bool_yes": [
        f'3:13: number: yes without quotes reads as a boolean in YAML 1.1. {_NUMBER_QUOTE} "yes"'
    ],
    "number_null_tilde": [f'3:13: number: ~ without quotes reads as null. {_NUMBER_QUOTE} "~"'],
    "number_sexagesimal": [
        "3:13: number: 12:30:00 without quotes reads as a base-60 integer in YAML 1.1. "
        f'{_NUMBER_QUOTE} "12:30:00"'
    ],
    "number_timestamp": [
        "3:13: number: 2024-01-31 without quotes reads as a timestamp in YAML 1.1. "
        f'{_NUMBER_QUOTE} "2024-01-31"'
    ],
    "number_inner_whitespace": [
        f"3:13: number: '7495 123 45 67' has U+0020 SPACE at character 5; {_ASCII_ONLY}"
    ],
    "number_fullwidth_digits": [
        "3:13: number: '\uff17\uff14\uff19\uff15\uff11\uff12\uff13\uff14\uff15\uff16\uff17'"
        " has U+FF17 FULLWIDTH DIGIT SEVEN at character 1;"
        f" {_ASCII_ONLY}"
    ],
    "number_zero_width_space": [
        r"3:13: number: '7495\u200b1234567' has U+200B ZERO WIDTH SPACE at character 5;"
        f" {_ASCII_ONLY}"
    ],
    "number_bidi_override": [
        r"3:13: number: '\u202e74951234567' has U+202E RIGHT-TO-LEFT OVERRIDE at character 1;"
        f" {_ASCII_ONLY}"
    ],
    "number_nul": [
        r"3:13: number: '74951234567\x00' has U+0000 (a control character) at character 12;"
        f" {_ASCII_ONLY}"
    ],
    "name_zero_width_space": [
        r"4:11: name: 'Sales\u200b' has U+200B ZERO WIDTH SPACE at character 6; " + _INVISIBLE
    ],
    "name_control_tab": [
        r"4:11: name: 'Sales\tdesk' has U+0009 (a control character) at character 6; " + _INVISIBLE
    ],
    "number_51_characters": [
        "3:13: number: is 51 characters long, over the portal's 50. "
        "Fix: shorten it to at most 50 characters"
    ],
    "number_empty": ['3:13: number: is empty. Fix: write the line\'s number, e.g. "74951234567"'],
    "number_missing": ['3:5: number: is missing. Fix: add number: "74951234567" to this entry'],
    "number_mapping": [
        '4:7: number: must be text, got dict. Fix: quote it, e.g. number: "74951234567"'
    ],
    "name_256_characters": [
        "4:11: name: is 256 characters long, over the portal's 255. "
        "Fix: shorten it to at most 255 characters"
    ],
    "name_empty": [f"4:11: {_NAMELESS}"],
    "name_integer": [
        '4:11: name: 12345 without quotes reads as an integer. Fix: quote it: name: "12345"'
    ],
    "name_bool_yes": [
        '4:11: name: yes without quotes reads as a boolean in YAML 1.1. Fix: quote it: name: "yes"'
    ],
    "name_list": ['4:11: name: must be text, got list. Fix: quote it, e.g. name: "Sales"'],
    "crm_quoted_yes": [f"4:22: crm_auto_create: must be true or false, got 'yes'. {_CRM_FIX}"],
    "crm_letter_y": [f"4:22: crm_auto_create: must be true or false, got 'Y'. {_CRM_FIX}"],
    "crm_one": [f"4:22: crm_auto_create: must be true or false, got 1. {_CRM_FIX}"],
    "allow_deletes_word": [
        f"2:16: allow_deletes: must be a count or a percentage, got 'all'. {_ALLOW_FIX}",
        "5:14: protect: must be true or false, got 'true'. "
        "Fix: write protect: true or protect: false (unquoted)",
    ],
    "retire_still_declared": [
        "5:5: retire: '74951234567' is still declared under lines: (line 3), so nothing would"
        " retire it. Fix: to delete the line, remove its entry on line 3; to keep it, remove it"
        " from retire:"
    ],
    "retire_unquoted": [
        "5:5: retire: each entry must be a quoted number, got 74951234568 (an integer)."
        ' Fix: quote it: - "74951234568"'
    ],
    "retire_duplicate": [
        "6:5: retire: '74951234568' is listed twice, on lines 5 and 6."
        " Fix: remove one of the two entries"
    ],
    "retire_mapping": [
        "5:3: retire: must be a list of numbers, got a mapping."
        ' Fix: write retire: as a list such as - "74951234567"'
    ],
    "in_use_guard_word": [f"2:15: in_use_guard: {_WINDOW} 'off'. {_WINDOW_FIX}"],
    "in_use_guard_zero": [f"2:15: in_use_guard: {_WINDOW} 0. {_WINDOW_FIX}"],
    "allow_deletes_over_100": [f"2:16: allow_deletes: 150% is over 100%. {_ALLOW_FIX}"],
    "allow_deletes_negative": [f"2:16: allow_deletes: -3 is negative. {_ALLOW_FIX}"],
    "adopt_quoted": [
        f"2:8: adopt: must be true or false, got 'true'. {_ADOPT_FIX}",
        f"5:12: adopt: must be true or false, got 'on'. {_ADOPT_FIX}",
    ],
    "tab_indentation": [
        "4:1: file: has a tab where YAML allows only spaces. Fix: indent with spaces"
    ],
    "duplicate_key_in_line": [
        "5:5: name: is given twice, on lines 4 and 5; YAML would silently keep the last. "
        "Fix: keep only one of them"
    ],
    "duplicate_key_top": [
        "4:1: portal: is given twice, on lines 1 and 4; YAML would silently keep the last. "
        "Fix: keep only one of them"
    ],
    "duplicate_number": [
        "6:13: number: '74951234567' is declared twice, on lines 3 and 6; a portal holds one "
        "line per number. Fix: remove one of the two entries"
    ],
    "duplicate_number_after_trim": [
        "4:13: number: '+74951234567' is declared twice, on lines 3 and 4; a portal holds one "
        "line per number. Fix: remove one of the two entries"
    ],
    "not_utf8": ["4:14: file: is not UTF-8 text (byte 0xe9). Fix: save the file as UTF-8"],
    "billion_laughs": [f"2:7: {_ALIAS}"],
    "alias_reused_entry": [f"3:5: {_ALIAS}"],
    "portal_missing": [
        "1:1: portal: is missing or not text. Fix: write portal: https://<your-portal>.bitrix24.com"
    ],
    "portal_http_public_host": [
        "1:9: portal: 'http://acme.bitrix24.com' uses plain http on a non-loopback host; "
        "Bitrix24 requires HTTPS. Fix: write https://acme.bitrix24.com"
    ],
    "portal_with_credentials": [
        "1:9: portal: must be the bare portal address, without credentials, query or fragment. "
        f"{_BARE_PORTAL}; credentials go in pulumi config (see README)"
    ],
    "portal_with_path": [
        f"1:9: portal: '{ACME}/rest/1/abc' has a path (/rest/1/abc). {_BARE_PORTAL}"
    ],
    "unknown_key_top_close": ["2:1: lnes: is not a known key. Fix: did you mean lines?"],
    "unknown_key_line_close": [
        "4:5: crm_autocreate: is not a known key. Fix: did you mean crm_auto_create?"
    ],
    "unknown_key_unrelated": [
        f"4:5: colour: is not a known key. Fix: remove it; known keys here: {_LINE_KEYS}"
    ],
    "empty_file": [_EMPTY_FILE],
    "comments_only": [_EMPTY_FILE],
    "lines_empty_list": [f"2:8: {_LINES_EMPTY}"],
    "lines_null": [f"2:7: {_LINES_EMPTY}"],
    "lines_missing": [f"1:1: lines: is missing. {_LINES_EXAMPLE}"],
    "lines_mapping": [f"3:3: lines: must be a list of entries, got a mapping. {_LINES_EXAMPLE}"],
    "line_not_mapping": [
        "3:5: lines: each entry must be a mapping, got '74951234567'. "
        'Fix: write the entry as - number: "74951234567"'
    ],
    "top_level_list": [f"1:1: {_TOP} a list. {_TOP_FIX}"],
    "top_level_text": [f"1:1: {_TOP} 'acme.bitrix24.com'. {_TOP_FIX}"],
    "syntax_unclosed_quote": [
        "5:1: file: is not valid YAML: found unexpected end of stream while scanning a quoted "
        "scalar that starts at 3:13. Fix: correct the YAML at this position"
    ],
    "syntax_bad_indentation": [
        "4:4: file: is not valid YAML: did not find expected '-' indicator while parsing a block "
        "collection that starts at 3:3. Fix: correct the YAML at this position"
    ],
    "two_documents": [
        "4:1: file: holds more than one YAML document. "
        "Fix: keep one: a stack file declares one portal; remove this --- and what follows"
    ],
    "explicit_tag": ["3:13: file: uses the YAML tag !!str. Fix: remove the tag"],
    "key_not_scalar": [f"4:7: key: must be a name, got a list. Fix: use one of: {_LINE_KEYS}"],
    "deep_nesting": ["4:15: file: nests deeper than 8 levels. Fix: flatten it"],
    "several_bad_entries": [
        f'3:13: number: 1.5e10 without quotes reads as a float. {_NUMBER_QUOTE} "1.5e10"',
        f"5:11: {_NAMELESS}",
        f"6:22: crm_auto_create: must be true or false, got 'N'. {_CRM_FIX}",
        "8:5: nubmer: is not a known key. Fix: did you mean number?",
    ],
}

GOOD: dict[str, tuple] = {
    "safety_keys": (
        ACME,
        (
            LineSpec("74951234567", "74951234567", True, False, 5, protect=True),
            LineSpec("74951234568", "74951234568", True, False, 7),
        ),
        Allowance(percent=12.5),
    ),
    "retire_and_window": (
        ACME,
        (LineSpec("74951234567", "74951234567", True, False, 4),),
        None,
        90,
        (Retired("+74951234568", 6), Retired("012345", 7)),
    ),
    "in_use_guard_off": (
        ACME,
        (LineSpec("74951234567", "74951234567", True, False, 4),),
        None,
        None,
    ),
    "leading_zeros": (
        ACME,
        (
            LineSpec("012345", "012345", True, False, 3),
            LineSpec("00074951234567", "Zeros kept", True, False, 4),
        ),
    ),
    "plus_prefix": (
        ACME,
        (
            LineSpec("+74951234567", "+74951234567", True, False, 3),
            LineSpec("+74951234568", "Quoted plus", True, False, 4),
            LineSpec("74951234567", "Same digits without plus, another line", True, False, 6),
        ),
    ),
    "every_key": (
        ACME,
        (
            LineSpec("14151234567", "San Francisco", False, False, 5),
            LineSpec("14151234568", "14151234568", True, True, 9),
        ),
    ),
    "quoted_look_alikes": (
        ACME,
        (
            LineSpec("1.5e10", "yes", True, False, 3),
            LineSpec("12:30:00", "12345", True, False, 5),
            LineSpec("ext-100", "Extension 100", True, False, 7),
        ),
    ),
    "flow_style": (
        "http://localhost:8450",
        (
            LineSpec("74951234567", "Sales", True, False, 2),
            LineSpec("74951234568", "74951234568", False, False, 2),
        ),
    ),
    "boundary_lengths": ("http://[::1]:8450", (LineSpec("9" * 50, "N" * 255, True, False, 3),)),
    "bom_crlf": (
        "http://127.0.0.1:8450",
        (LineSpec("74951234567", "Windows editor", True, False, 3),),
    ),
}
