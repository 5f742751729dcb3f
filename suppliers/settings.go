package suppliers

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// Checks and readers for the values of supplier settings, shared by the
// adapters' descriptors (and by cmd/syncd for its own lists of CIDRs).

// CheckURL refuses anything but an absolute http(s) URL.
func CheckURL(v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", v)
	}
	return nil
}

// CheckRate refuses a requests-per-second limit that is not a number. A
// negative rate means no limit (benchmarks against the simulators).
func CheckRate(v string) error {
	_, err := ParseRate(v)
	return err
}

// ParseRate reads a requests-per-second limit; "" is 0, the client's
// default.
func ParseRate(v string) (float64, error) {
	if strings.TrimSpace(v) == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number of requests per second", v)
	}
	return f, nil
}

// ParsePrefixes reads a comma-separated list of CIDRs; a bare address is
// a prefix of its own length.
func ParsePrefixes(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range strings.Split(v, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, err
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		pr, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, err
		}
		out = append(out, pr.Masked())
	}
	return out, nil
}

// CheckPrefixes refuses a list ParsePrefixes cannot read.
func CheckPrefixes(v string) error {
	_, err := ParsePrefixes(v)
	return err
}

// CheckHeaderName refuses what is not an HTTP header name (RFC 9110
// token).
func CheckHeaderName(v string) error {
	if v == "" {
		return errors.New(`"" is not an HTTP header name`)
	}
	for _, r := range v {
		if r > 0x7e || r <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return fmt.Errorf("%q is not an HTTP header name", v)
		}
	}
	return nil
}
