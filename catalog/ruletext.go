package catalog

import (
	"context"
	"maps"

	"github.com/syncd/syncd/internal/fault"
	"github.com/syncd/syncd/internal/printable"
	"github.com/syncd/syncd/rules"
)

// validateRule is rules.Validate plus what rules, which imports only
// pricing, leaves to the packages rules come in through: a name is one
// line of text and a note text of several (the console edits it in a text
// area), neither holding control or text-direction characters. Every rule
// saved or previewed passes here.
func validateRule(r rules.Rule) error {
	err := r.Validate()
	found := fault.FieldsOf(err)
	if err != nil && found == nil {
		return err
	}
	fields := maps.Clone(found)
	if fields == nil {
		fields = map[string]string{}
	}
	if _, bad := fields["name"]; !bad {
		if err := printable.Line(r.Name); err != nil {
			fields["name"] = err.Error()
		}
	}
	if _, bad := fields["note"]; !bad {
		if err := printable.Text(r.Note); err != nil {
			fields["note"] = err.Error()
		}
	}
	if len(fields) == 0 {
		return nil
	}
	return rules.ErrInvalid.WithFields(fields)
}

// CreateTier adds a price tier whose name is text people can be shown
// (rules.Store.CreateTier checks the rest).
func (c *Catalog) CreateTier(ctx context.Context, t rules.Tier) (rules.Tier, error) {
	if err := printable.Line(t.Name); err != nil {
		return rules.Tier{}, rules.ErrInvalid.WithFields(map[string]string{"name": err.Error()})
	}
	return c.rules.CreateTier(ctx, t)
}
