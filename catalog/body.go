package catalog

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Body is a pre-encoded JSON response with its ETag and, for large bodies,
// a gzipped copy.
type Body struct {
	JSON []byte
	Gzip []byte // nil when not worth compressing
	ETag string
}

// gzipAbove is the size from which a body is also kept gzipped.
const gzipAbove = 1024

// encoder makes Bodies, reusing one gzip writer: a new one allocates about
// a megabyte, and a snapshot has a body per game. scratch is where a game
// is encoded before it is known to differ from the views already made.
type encoder struct {
	zw      *gzip.Writer
	buf     bytes.Buffer
	scratch []byte
}

func newEncoder() *encoder {
	zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return &encoder{zw: zw}
}

func (e *encoder) marshal(v any) (Body, error) {
	js, err := json.Marshal(v)
	if err != nil {
		return Body{}, err
	}
	return e.body(js)
}

func (e *encoder) body(js []byte) (Body, error) {
	sum := sha256.Sum256(js)
	b := Body{JSON: js, ETag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`}
	if len(js) >= gzipAbove {
		e.buf.Reset()
		e.zw.Reset(&e.buf)
		e.zw.Write(js)
		if err := e.zw.Close(); err != nil {
			return Body{}, err
		}
		b.Gzip = bytes.Clone(e.buf.Bytes())
	}
	return b, nil
}

// lazyGames is a tier's GET /v1/games body, encoded when first asked
// for: under a stream of webhooks versions come faster than storefronts
// read the list, and encoding every game's summary at each publish was a
// third of a webhook's reprice. It holds its own snapshot's entries, so it
// is never carried to another snapshot (lazyBody, which is, holds bytes).
type lazyGames struct {
	games []*gameEntry // the snapshot's, in order
	tier  string
	once  sync.Once
	body  Body
	err   error
}

func (l *lazyGames) get() (Body, error) {
	l.once.Do(func() {
		sums := make([]GameSummary, 0, len(l.games))
		for _, e := range l.games {
			if e.hidden == "" {
				sums = append(sums, e.views[l.tier].summary)
			}
		}
		enc := encoders.Get().(*encoder)
		defer encoders.Put(enc)
		l.body, l.err = enc.marshal(struct {
			Games []GameSummary `json:"games"`
		}{sums})
		l.games = nil
	})
	return l.body, l.err
}

// encoders are the encoders of builds, reprices and bodies made on
// demand: each holds a gzip writer, about a megabyte to make, and a
// webhook's reprice made one per publish (three quarters of all it
// allocated, and so of the collector's work beside the storefront reads).
var encoders = sync.Pool{New: func() any { return newEncoder() }}

// lazyBody is the whole-catalog body, assembled once, when first asked for.
type lazyBody struct {
	etag  string
	games []json.RawMessage
	once  sync.Once
	body  Body
	err   error
}

func (l *lazyBody) get(version int64, builtAt time.Time) (Body, error) {
	l.once.Do(func() {
		l.body, l.err = assembleCatalog(version, builtAt, l.games)
		l.body.ETag = l.etag
		l.games = nil
	})
	return l.body, l.err
}

// assembleCatalog builds the catalog body from the game bodies' bytes:
// handing 10 MB of json.RawMessage to json.Marshal would re-validate it.
func assembleCatalog(version int64, now time.Time, games []json.RawMessage) (Body, error) {
	builtAt, err := now.UTC().MarshalJSON()
	if err != nil {
		return Body{}, err
	}
	size := 100
	for _, js := range games {
		size += len(js) + 1
	}
	cat := make([]byte, 0, size)
	cat = append(cat, `{"version":`...)
	cat = strconv.AppendInt(cat, version, 10)
	cat = append(cat, `,"built_at":`...)
	cat = append(cat, builtAt...)
	cat = append(cat, `,"currency":"`+Currency+`","games":[`...)
	for i, js := range games {
		if i > 0 {
			cat = append(cat, ',')
		}
		cat = append(cat, js...)
	}
	cat = append(cat, "]}"...)
	enc := encoders.Get().(*encoder)
	defer encoders.Put(enc)
	return enc.body(cat)
}

// appendItem encodes an ItemView as encoding/json would, without
// reflection: the catalog has 100,000 of them per snapshot.
func appendItem(b []byte, v ItemView) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, v.ID)
	b = append(b, `,"game":`...)
	b = appendString(b, v.Game)
	b = append(b, `,"name":`...)
	b = appendString(b, v.Name)
	b = append(b, `,"price":`...)
	if v.Price == nil {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, *v.Price, 10)
	}
	b = append(b, `,"currency":`...)
	b = appendString(b, v.Currency)
	b = append(b, `,"available":`...)
	b = strconv.AppendBool(b, v.Available)
	return append(b, '}')
}

// appendString writes s as a JSON string the way encoding/json does
// (including its escaping of <, > and &), falling back to it for anything
// but plain UTF-8.
func appendString(b []byte, s string) []byte {
	if !utf8.ValidString(s) || strings.ContainsRune(s, '\u2028') || strings.ContainsRune(s, '\u2029') {
		js, _ := json.Marshal(s)
		return append(b, js...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c == '\b':
			b = append(b, '\\', 'b')
		case c == '\f':
			b = append(b, '\\', 'f')
		case c < 0x20 || c == '<' || c == '>' || c == '&':
			b = append(b, `\u00`...)
			b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"
