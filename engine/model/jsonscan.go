package model

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// jsonScanner reads JSON text in place, one value at a time, for readers
// that build their own structures from files of hundreds of megabytes
// (LightGBM dumps). encoding/json's Decoder.Token boxes every token in an
// interface and copies every key and string: the LightGBM dump reader
// built on it allocated 13 times the file's size and read 15 MB/s. The
// scanner allocates nothing per token: keys and strings are slices of the
// input (decoded, by encoding/json, only when they hold escapes or
// non-ASCII bytes), numbers are parsed by strconv from the bytes, as
// encoding/json parses them (so the values are bit-equal). It checks the
// JSON grammar (RFC 8259) as it reads, and its errors name the JSON path
// being read and the byte offset.
type jsonScanner struct {
	data []byte
	pos  int    // the next byte to read
	what string // prefixes errors: what kind of file this is
	path []jsonPathElem
	// open is skip's stack of the containers it is inside, kept for the
	// next skip; it is no deeper than the file is long.
	open []byte
}

// jsonPathElem is one step of the path to the value being read: an
// object's key (as written in the file, escapes decoded) or an array's
// index.
type jsonPathElem struct {
	key   []byte
	index int
}

func (s *jsonScanner) pushKey(key []byte) { s.path = append(s.path, jsonPathElem{key: key}) }
func (s *jsonScanner) pushIndex(i int)    { s.path = append(s.path, jsonPathElem{index: i}) }
func (s *jsonScanner) pop()               { s.path = s.path[:len(s.path)-1] }

// pathString is the path as tree_info[0].tree_structure.threshold, or $
// at the top.
func (s *jsonScanner) pathString() string {
	var b strings.Builder
	for _, e := range s.path {
		if e.key != nil {
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.Write(e.key)
		} else {
			fmt.Fprintf(&b, "[%d]", e.index)
		}
	}
	if b.Len() == 0 {
		return "$"
	}
	return b.String()
}

// errorAt is an error at the path being read and byte offset off.
func (s *jsonScanner) errorAt(off int, format string, args ...any) error {
	return fmt.Errorf("%s: %s (byte %d): %s", s.what, s.pathString(), off, fmt.Sprintf(format, args...))
}

// errorf is an error at the path being read and the byte the scanner has
// reached: where a value of the wrong kind starts.
func (s *jsonScanner) errorf(format string, args ...any) error {
	return s.errorAt(s.pos, format, args...)
}

func (s *jsonScanner) truncated() error {
	return s.errorAt(len(s.data), "the file ends early: it is truncated")
}

// invalid is a syntax error at off, a byte the grammar does not allow
// there (or the end of the file).
func (s *jsonScanner) invalid(off int, context string) error {
	if off >= len(s.data) {
		return s.truncated()
	}
	return s.errorAt(off, "invalid character %s %s", quoteByte(s.data[off]), context)
}

// quoteByte names a byte as encoding/json's syntax errors do: 'x'.
func quoteByte(c byte) string {
	switch c {
	case '\'':
		return `'\''`
	case '"':
		return `'"'`
	}
	q := strconv.Quote(string([]byte{c}))
	return "'" + q[1:len(q)-1] + "'"
}

// space skips whitespace.
func (s *jsonScanner) space() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\n', '\r', '\t':
			s.pos++
		default:
			return
		}
	}
}

// peek is the first byte of the next token, or 0 at the end of the file.
func (s *jsonScanner) peek() byte {
	s.space()
	if s.pos >= len(s.data) {
		return 0
	}
	return s.data[s.pos]
}

// atEnd reports whether only whitespace is left.
func (s *jsonScanner) atEnd() bool {
	s.space()
	return s.pos == len(s.data)
}

// begin reads an object's '{' or an array's '['.
func (s *jsonScanner) begin(open byte) error {
	if s.peek() == open {
		s.pos++
		return nil
	}
	if s.pos >= len(s.data) {
		return s.truncated()
	}
	return s.errorf("want %q, got %s", string(open), s.describe(s.pos))
}

// nextKey reads the next key of an object whose '{' (first) or previous
// value has been read, and the ':' after it: the key (a slice of the
// input unless it has escapes) and true, or false at the object's '}'.
func (s *jsonScanner) nextKey(first bool) ([]byte, bool, error) {
	c := s.peek()
	switch {
	case c == '}':
		s.pos++
		return nil, false, nil
	case first:
	case c == ',':
		s.pos++
		c = s.peek()
	default:
		return nil, false, s.invalid(s.pos, "after object key:value pair")
	}
	if c != '"' {
		return nil, false, s.invalid(s.pos, "looking for beginning of object key string")
	}
	key, err := s.stringBytes()
	if err != nil {
		return nil, false, err
	}
	if s.peek() != ':' {
		return nil, false, s.invalid(s.pos, "after object key")
	}
	s.pos++
	return key, true, nil
}

// nextElem reads up to the next element of an array whose '[' (first) or
// previous element has been read: true before an element, false at the
// array's ']'.
func (s *jsonScanner) nextElem(first bool) (bool, error) {
	c := s.peek()
	switch {
	case c == ']':
		s.pos++
		return false, nil
	case first:
		return true, nil
	case c == ',':
		s.pos++
		return true, nil
	}
	return false, s.invalid(s.pos, "after array element")
}

// scanString checks the string starting at off (a '"') and returns the
// offset past its closing quote, and whether its text is the bytes
// between the quotes as they are: no escapes, ASCII only (encoding/json
// replaces invalid UTF-8).
func (s *jsonScanner) scanString(off int) (end int, plain bool, err error) {
	d := s.data
	plain = true
	for i := off + 1; i < len(d); i++ {
		switch c := d[i]; {
		case c == '"':
			return i + 1, plain, nil
		case c < 0x20:
			return 0, false, s.invalid(i, "in string literal")
		case c >= 0x80:
			plain = false
		case c == '\\':
			plain = false
			i++
			if i >= len(d) {
				return 0, false, s.truncated()
			}
			switch d[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				for range 4 {
					i++
					if i >= len(d) {
						return 0, false, s.truncated()
					}
					if !isHex(d[i]) {
						return 0, false, s.invalid(i, "in \\u hexadecimal character escape")
					}
				}
			default:
				return 0, false, s.invalid(i, "in string escape code")
			}
		}
	}
	return 0, false, s.truncated()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// decodeString is the text of the string literal data[off:end].
func (s *jsonScanner) decodeString(off, end int, plain bool) ([]byte, error) {
	if plain {
		return s.data[off+1 : end-1], nil
	}
	var text string
	if err := json.Unmarshal(s.data[off:end], &text); err != nil {
		return nil, s.errorAt(off, "%v", err)
	}
	return []byte(text), nil
}

// stringBytes reads a string's text: a slice of the input, unless it has
// escapes or non-ASCII bytes. It is valid until the scanner is dropped;
// callers that keep it copy it.
func (s *jsonScanner) stringBytes() ([]byte, error) {
	if s.peek() != '"' {
		if s.pos >= len(s.data) {
			return nil, s.truncated()
		}
		return nil, s.errorf("want a string, got %s", s.describe(s.pos))
	}
	off := s.pos
	end, plain, err := s.scanString(off)
	if err != nil {
		return nil, err
	}
	s.pos = end
	return s.decodeString(off, end, plain)
}

// str reads a string.
func (s *jsonScanner) str() (string, error) {
	b, err := s.stringBytes()
	return string(b), err
}

// scanNumber checks the number starting at off and returns the offset
// past it.
func (s *jsonScanner) scanNumber(off int) (int, error) {
	d, i := s.data, off
	digits := func() {
		for i < len(d) && '0' <= d[i] && d[i] <= '9' {
			i++
		}
	}
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i >= len(d):
		return 0, s.truncated()
	case d[i] == '0':
		i++
	case '1' <= d[i] && d[i] <= '9':
		digits()
	default:
		return 0, s.invalid(i, "in numeric literal")
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			return 0, s.invalid(i, "after decimal point in numeric literal")
		}
		digits()
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			return 0, s.invalid(i, "in exponent of numeric literal")
		}
		digits()
	}
	return i, nil
}

func isNumberStart(c byte) bool { return c == '-' || '0' <= c && c <= '9' }

// number reads a number as encoding/json does (strconv.ParseFloat of its
// text); one out of a float64's range is an error.
func (s *jsonScanner) number() (float64, error) {
	c := s.peek()
	if !isNumberStart(c) {
		if s.pos >= len(s.data) {
			return 0, s.truncated()
		}
		return 0, s.errorf("want a number, got %s", s.describe(s.pos))
	}
	off := s.pos
	end, err := s.scanNumber(off)
	if err != nil {
		return 0, err
	}
	s.pos = end
	text := s.data[off:end]
	// Whole numbers of up to 15 digits (counts, feature indexes: most of a
	// dump's numbers but the doubles) are exact in a float64, as
	// ParseFloat would give them.
	if neg := text[0] == '-'; len(text) <= 15+btoi(neg) {
		v, whole := 0.0, true
		for _, c := range text[btoi(neg):] {
			if c < '0' || c > '9' {
				whole = false
				break
			}
			v = v*10 + float64(c-'0')
		}
		if whole {
			if neg {
				v = math.Copysign(v, -1)
			}
			return v, nil
		}
	}
	v, err := strconv.ParseFloat(string(text), 64)
	if err != nil {
		return 0, s.errorAt(off, "the number %s does not fit a float64", text)
	}
	return v, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// integer reads a whole number in [lo, hi].
func (s *jsonScanner) integer(lo, hi int) (int, error) {
	s.space()
	off := s.pos
	v, err := s.number()
	if err != nil {
		return 0, err
	}
	if v != math.Trunc(v) || v < float64(lo) || v > float64(hi) {
		return 0, s.errorAt(off, "%v is not a whole number in %d..%d", v, lo, hi)
	}
	return int(v), nil
}

// literal checks that the word (true, false, null) starts at off and
// returns the offset past it.
func (s *jsonScanner) literal(off int, word string) (int, error) {
	for i := range len(word) {
		if off+i >= len(s.data) {
			return 0, s.truncated()
		}
		if s.data[off+i] != word[i] {
			return 0, s.invalid(off+i, "in literal "+word)
		}
	}
	return off + len(word), nil
}

// boolean reads true or false.
func (s *jsonScanner) boolean() (bool, error) {
	var word string
	switch s.peek() {
	case 't':
		word = "true"
	case 'f':
		word = "false"
	default:
		if s.pos >= len(s.data) {
			return false, s.truncated()
		}
		return false, s.errorf("want true or false, got %s", s.describe(s.pos))
	}
	end, err := s.literal(s.pos, word)
	if err != nil {
		return false, err
	}
	s.pos = end
	return word == "true", nil
}

// scalar checks the string, number or literal at off and returns the
// offset past it.
func (s *jsonScanner) scalar(off int) (int, error) {
	switch c := s.data[off]; {
	case c == '"':
		end, _, err := s.scanString(off)
		return end, err
	case isNumberStart(c):
		return s.scanNumber(off)
	case c == 't':
		return s.literal(off, "true")
	case c == 'f':
		return s.literal(off, "false")
	case c == 'n':
		return s.literal(off, "null")
	}
	return 0, s.invalid(off, "looking for beginning of value")
}

// skip reads and drops one value of any kind, checking its grammar, with
// a loop rather than recursion: a value nested a million levels deep is
// read, not a stack overflow.
func (s *jsonScanner) skip() error {
	open := s.open[:0]
	defer func() { s.open = open[:0] }()
	for {
		// At the start of a value.
		switch c := s.peek(); c {
		case '{', '[':
			s.pos++
			closer := byte('}')
			if c == '[' {
				closer = ']'
			}
			if s.peek() == closer {
				s.pos++
				break
			}
			open = append(open, closer)
			if c == '{' {
				if _, _, err := s.nextKey(true); err != nil {
					return err
				}
			}
			continue
		default:
			if s.pos >= len(s.data) {
				return s.truncated()
			}
			end, err := s.scalar(s.pos)
			if err != nil {
				return err
			}
			s.pos = end
		}
		// After a value: close what ends here, then on to the next one.
		for {
			if len(open) == 0 {
				return nil
			}
			closer := open[len(open)-1]
			c := s.peek()
			if c == closer {
				s.pos++
				open = open[:len(open)-1]
				continue
			}
			if c != ',' {
				if closer == '}' {
					return s.invalid(s.pos, "after object key:value pair")
				}
				return s.invalid(s.pos, "after array element")
			}
			if closer == '}' {
				if _, _, err := s.nextKey(false); err != nil {
					return err
				}
			} else {
				s.pos++
			}
			break
		}
	}
}

// describe names the token at off for an error: "{", the string "x",
// null, 1.5, or the character the grammar does not allow there.
func (s *jsonScanner) describe(off int) string {
	if off >= len(s.data) {
		return "the end of the file"
	}
	switch c := s.data[off]; c {
	case '{', '}', '[', ']', ':', ',':
		return fmt.Sprintf("%q", string(c))
	case '"':
		end, plain, err := s.scanString(off)
		if err != nil {
			break
		}
		text, err := s.decodeString(off, end, plain)
		if err != nil {
			break
		}
		v := string(text)
		if len(v) > 40 {
			v = v[:40] + "…"
		}
		return fmt.Sprintf("the string %q", v)
	default:
		if end, err := s.scalar(off); err == nil {
			return string(s.data[off:end])
		}
	}
	return "invalid character " + quoteByte(s.data[off])
}
