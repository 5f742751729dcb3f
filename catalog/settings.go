package catalog

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/jmoiron/sqlx"
)

// GameSetting is one setting a supplier needs per game, beyond the game's
// form, to take an order: a template joining the buyer's answers into
// the one string the supplier takes, say. The supplier's descriptor
// declares it (Config.GameSettings); the catalog keeps its value per game
// and supplier (game_supplier_settings), fills in the default, and holds
// the supplier's offers in a game unfit while its check fails.
type GameSetting struct {
	Key   string // the setting's name at its supplier, "data_format"
	Label string // its name in messages, "<supplier> data template"
	// Default is the value of a game that sets none, from its form.
	Default func(form []FormField) string
	// Check says why value cannot carry orders with form; nil if it can.
	Check func(value string, form []FormField) error
	// CheckAnswer, when set, says why a buyer's answer to a text field
	// cannot go into an order built with value (it would change what the
	// supplier reads); nil if it can.
	CheckAnswer func(value, answer string) error
}

// SettingError is a game setting refused, or a value for a setting no
// supplier declares. It is ErrInvalid.
type SettingError struct {
	Supplier, Key string
	Err           error
}

// Field names the setting as the API does: "settings.<supplier>.<key>".
func (e *SettingError) Field() string { return "settings." + e.Supplier + "." + e.Key }

func (e *SettingError) Error() string { return fmt.Sprintf("%v: %s: %v", ErrInvalid, e.Field(), e.Err) }

func (e *SettingError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrInvalid) hold.
func (e *SettingError) Is(target error) bool { return target == ErrInvalid }

// gameSettings are a game's settings by supplier and key: every setting a
// registered supplier declares, stored or its default.
func (c *Catalog) gameSettings(form []FormField, stored map[string]map[string]string) map[string]map[string]string {
	out := make(map[string]map[string]string, len(c.cfg.GameSettings))
	for supplier, settings := range c.cfg.GameSettings {
		vals := make(map[string]string, len(settings))
		for _, st := range settings {
			v, ok := stored[supplier][st.Key]
			if !ok && st.Default != nil {
				v = st.Default(form)
			}
			vals[st.Key] = v
		}
		out[supplier] = vals
	}
	return out
}

// settingsUnfit says why supplier cannot take orders for a game with form
// and settings: the first of its settings whose check fails. "" if none.
func (c *Catalog) settingsUnfit(supplier string, form []FormField, settings map[string]map[string]string) string {
	for _, st := range c.cfg.GameSettings[supplier] {
		if st.Check == nil {
			continue
		}
		if err := st.Check(settings[supplier][st.Key], form); err != nil {
			return st.Label + ": " + err.Error()
		}
	}
	return ""
}

// CheckAnswer says why a buyer's answer to one of the game's text fields
// cannot go into an order whichever supplier sells it: a character one of
// the game's settings reserves (the text of a template that joins the
// answers into one string). An order is judged the same way whoever ends
// up fulfilling it.
func (g *Game) CheckAnswer(answer string) error {
	for _, supplier := range slices.Sorted(maps.Keys(g.answerChecks)) {
		for _, check := range g.answerChecks[supplier] {
			if err := check(answer); err != nil {
				return err
			}
		}
	}
	return nil
}

// answerChecks binds each setting's CheckAnswer to the game's value.
func (c *Catalog) answerChecks(settings map[string]map[string]string) map[string][]func(string) error {
	out := map[string][]func(string) error{}
	for supplier, decl := range c.cfg.GameSettings {
		for _, st := range decl {
			if st.CheckAnswer == nil {
				continue
			}
			value, check := settings[supplier][st.Key], st.CheckAnswer
			out[supplier] = append(out[supplier], func(answer string) error { return check(value, answer) })
		}
	}
	return out
}

// SetGameSettings sets some of a game's settings, by supplier and key.
// Each must be one a supplier declares and pass its check against the
// game's form; otherwise nothing is stored (a *SettingError). A new
// snapshot is published at once.
func (c *Catalog) SetGameSettings(ctx context.Context, gameID string, settings map[string]map[string]string) error {
	snap := c.Snapshot()
	if snap == nil {
		return fmt.Errorf("game %s: %w", gameID, ErrNotFound)
	}
	g, ok := snap.Game(gameID)
	if !ok {
		return fmt.Errorf("game %s: %w", gameID, ErrNotFound)
	}
	var rows []gameSetting
	for _, supplier := range slices.Sorted(maps.Keys(settings)) {
		decl := c.cfg.GameSettings[supplier]
		for _, key := range slices.Sorted(maps.Keys(settings[supplier])) {
			value := settings[supplier][key]
			i := slices.IndexFunc(decl, func(st GameSetting) bool { return st.Key == key })
			if i < 0 {
				return &SettingError{supplier, key, fmt.Errorf("no such setting")}
			}
			if decl[i].Check != nil {
				if err := decl[i].Check(value, g.Form); err != nil {
					return &SettingError{supplier, key, err}
				}
			}
			rows = append(rows, gameSetting{supplier, key, value})
		}
	}
	return c.decide(ctx, func(tx *sqlx.Tx, now string) error {
		return storeGameSettings(ctx, tx, gameID, rows, now)
	})
}
