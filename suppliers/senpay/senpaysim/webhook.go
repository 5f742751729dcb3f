package senpaysim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/shopspring/decimal"
)

// PriceChange is a product's new price, for SendPriceUpdate.
type PriceChange struct {
	Code  string
	Price int64
}

type priceItem struct {
	ProductCode string      `json:"product_code"`
	PriceOld    json.Number `json:"price_old"`
	PriceNew    json.Number `json:"price_new"`
}

type priceUpdate struct {
	WebhookType string      `json:"webhook_type"`
	Data        []priceItem `json:"data"`
}

type statusUpdate struct {
	WebhookType      string `json:"webhook_type"`
	Reference        string `json:"reference"`
	PartnerReference string `json:"partner_reference"`
	Status           string `json:"status"`
	SN               string `json:"sn"`
	Note             string `json:"note"`
	SentAt           string `json:"sent_at"`
}

// SendPriceUpdate changes prices as Senpay does and posts the price_update
// webhook to url. The prices change even if the post fails, as they would at
// Senpay: a receiver that missed a webhook catches up at the next sync.
// Nothing changes if any code is unknown.
func (s *Sim) SendPriceUpdate(ctx context.Context, url string, changes []PriceChange) error {
	s.mu.Lock()
	items := make([]priceItem, 0, len(changes))
	for _, c := range changes {
		p, ok := s.prodCode[c.Code]
		if !ok {
			s.mu.Unlock()
			return fmt.Errorf("senpaysim: price update: no product %q", c.Code)
		}
		items = append(items, priceItem{
			ProductCode: c.Code,
			PriceOld:    json.Number(p.price.String()),
			PriceNew:    json.Number(strconv.FormatInt(c.Price, 10)),
		})
	}
	for _, c := range changes {
		p := s.prodCode[c.Code]
		p.Price = json.RawMessage(strconv.FormatInt(c.Price, 10))
		p.price = decimal.NewFromInt(c.Price)
	}
	s.mu.Unlock()
	return s.post(ctx, url, priceUpdate{WebhookType: "price_update", Data: items})
}

// SendTransactionStatus posts the transaction_status webhook for an order
// with its status as of now, whatever it is (Senpay itself only sends final
// ones), and marks the order's webhook as sent when the post succeeds.
func (s *Sim) SendTransactionStatus(ctx context.Context, url, reference string) error {
	s.mu.Lock()
	o, ok := s.byRef[reference]
	if !ok {
		s.mu.Unlock()
		return fmt.Errorf("senpaysim: transaction status: no transaction %q", reference)
	}
	s.settle(o, s.now())
	body := statusUpdate{
		WebhookType:      "transaction_status",
		Reference:        o.Reference,
		PartnerReference: o.PartnerReference,
		Status:           o.Status,
		SN:               o.SN,
		Note:             o.Note,
		SentAt:           s.now().UTC().Format(stampLayout),
	}
	s.mu.Unlock()
	if err := s.post(ctx, url, body); err != nil {
		return err
	}
	s.mu.Lock()
	o.WebhookSent = true
	s.mu.Unlock()
	return nil
}

// notifyLater posts the order's final status once it is due; s.mu held.
func (s *Sim) notifyLater(reference string) {
	if s.closed() {
		return
	}
	delay := s.opts.OrderDelay
	s.bg.Go(func() {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-s.done:
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		go func() {
			select {
			case <-s.done:
				cancel()
			case <-ctx.Done():
			}
		}()
		if err := s.SendTransactionStatus(ctx, s.opts.WebhookURL, reference); err != nil {
			s.log.Warn("senpaysim webhook failed", "reference", reference, "err", err)
		}
	})
}

// post sends a webhook body the way Senpay's PHP does: JSON with escaped
// slashes ("N\/A"). A receiver must answer 2xx, and if it answers with an
// envelope, one whose status is 200.
func (s *Sim) post(ctx context.Context, url string, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	body = bytes.ReplaceAll(body, []byte("/"), []byte(`\/`))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("senpaysim: webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := s.hook.Do(req)
	if err != nil {
		return fmt.Errorf("senpaysim: webhook: %w", err)
	}
	defer resp.Body.Close()
	reply, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("senpaysim: webhook: http %d: %.200s", resp.StatusCode, reply)
	}
	var env struct {
		Status  *json.Number `json:"status"`
		Message string       `json:"message"`
	}
	if json.Unmarshal(reply, &env) == nil && env.Status != nil && env.Status.String() != "200" {
		return fmt.Errorf("senpaysim: webhook refused: status %s: %s", env.Status, env.Message)
	}
	return nil
}
