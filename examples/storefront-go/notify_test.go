package main

import "testing"

// TestValidSignature: the check accepts syncd's signature of the body and
// nothing else. The signature is orders.Sign("s3cret", body), as syncd's outbox sends it.
func TestValidSignature(t *testing.T) {
	body := []byte(`{"id":"ord_1","status":"success"}`)
	const sig = "sha256=9c4a85ff63a6ec2907779b01b5030cfcaa48c87c24d94b836ca9bf1dcc7c136e"
	tests := []struct {
		name, secret, body, header string
		want                       bool
	}{
		{"syncd's signature", "s3cret", string(body), sig, true},
		{"another secret", "other", string(body), sig, false},
		{"a changed body", "s3cret", `{"id":"ord_1","status":"failed"}`, sig, false},
		{"no prefix", "s3cret", string(body), sig[len("sha256="):], false},
		{"not hex", "s3cret", string(body), "sha256=zz", false},
		{"missing", "s3cret", string(body), "", false},
	}
	for _, tt := range tests {
		if got := validSignature(tt.secret, []byte(tt.body), tt.header); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}
