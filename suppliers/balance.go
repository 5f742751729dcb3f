package suppliers

import (
	"errors"
	"strings"
)

// NoBalance reports whether err is a supplier's refusal for want of
// deposit: a rejection whose message says the balance cannot pay
// ("Saldo tidak mencukupi", "saldo kurang", "insufficient balance"). The
// order router lowers its estimate of the balance and has it read again.
func NoBalance(err error) bool {
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindRejected {
		return false
	}
	m := strings.ToLower(e.Message)
	deposit := strings.Contains(m, "saldo") || strings.Contains(m, "balance") || strings.Contains(m, "deposit")
	short := strings.Contains(m, "tidak mencukupi") || strings.Contains(m, "tidak cukup") || strings.Contains(m, "kurang") ||
		strings.Contains(m, "insufficient") || strings.Contains(m, "not enough")
	return deposit && short
}
