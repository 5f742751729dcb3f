// Package printable is syncd's one test of text a person typed and others
// will be shown: names (items, rules, tiers, tokens), notes, and the
// values a buyer enters in an order form. It refuses what can hide or
// rearrange text instead of being text: control characters (C0, NUL to
// US and tab among them; DEL; C1), invisible formatting characters
// (Unicode category Cf: bidirectional overrides and isolates such as
// U+202E, before which "gnp.exe" displays as "exe.png"; zero-width spaces,
// the byte order mark, tag characters), line and paragraph separators,
// and text that is not UTF-8.
//
// Zero-width joiner and non-joiner (U+200D, U+200C) are allowed: they
// are part of emoji sequences and of the spelling of Persian and Indic
// scripts.
//
// It is a leaf over the standard library, importable by every package.
package printable

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// Error is text with a character it may not hold.
type Error struct {
	Rune rune // utf8.RuneError for text that is not UTF-8
	At   int  // byte offset
}

func (e *Error) Error() string {
	if e.Rune == utf8.RuneError {
		return fmt.Sprintf("must be UTF-8 text (byte %d is not)", e.At)
	}
	return fmt.Sprintf("must not contain %U (%s)", e.Rune, what(e.Rune))
}

// Line checks one line of text: a name, a reference, an order field.
func Line(s string) error { return check(s, false) }

// Text checks text of several lines, a note: Line, except that a line
// break ("\n", or "\r\n" as a browser's textarea sends it) is allowed.
func Text(s string) error { return check(s, true) }

func check(s string, lines bool) error {
	for i, r := range s {
		switch {
		case r == utf8.RuneError:
			if _, n := utf8.DecodeRuneInString(s[i:]); n <= 1 {
				return &Error{Rune: r, At: i}
			}
		case lines && (r == '\n' || r == '\r' && i+1 < len(s) && s[i+1] == '\n'):
		case refused(r):
			return &Error{Rune: r, At: i}
		}
	}
	return nil
}

func refused(r rune) bool {
	switch {
	case r == '\u200c' || r == '\u200d':
		return false
	case r < 0x20 || r >= 0x7f && r <= 0x9f:
		return true
	case r < 0x7f:
		return false
	}
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp, unicode.Cs)
}

func what(r rune) string {
	switch {
	case r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029':
		return "a line break"
	case r == '\t':
		return "a tab"
	case r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069' || r == '\u200e' || r == '\u200f' || r == '\u061c':
		return "an invisible bidirectional control, which reorders text as it is shown"
	case unicode.Is(unicode.Cc, r):
		return "a control character"
	}
	return "an invisible formatting character"
}
