package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/syncd/syncd/api"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/internal/fault"
	"github.com/syncd/syncd/leader"
)

// instanceID is SYNCD_INSTANCE, or host name and process id: unique among
// instances on one database, meaningful to an operator.
func instanceID(c Config) string {
	if c.Instance != "" {
		return c.Instance
	}
	host, err := os.Hostname()
	if err != nil {
		host = "syncd"
	}
	return fmt.Sprintf("%s-%d", host, os.Getpid())
}

// leads reports whether this instance runs the work done once: always on
// SQLite, whose one instance owns its file.
func (a *app) leads() bool { return a.elector == nil || a.elector.Leads() }

// trigger starts a supplier's sync now. Syncs are the leader's: on a
// follower gocron would skip the run without a word, so the caller is told
// where to send it instead.
func (a *app) trigger(supplier string) error {
	if !a.leads() {
		return fault.New(fault.Unavailable, "this instance ("+a.instance+") does not lead: syncs run on the leader (GET /v1/suppliers names it); send the sync there")
	}
	return a.sched.trigger(supplier)
}

// leadership answers GET /v1/suppliers' leadership field.
func (a *app) leadership(ctx context.Context) (api.Leadership, error) {
	if a.elector == nil {
		return api.Leadership{Instance: a.instance, Leader: a.instance}, nil
	}
	holder, epoch, err := leader.Holder(ctx, a.db.Read)
	return api.Leadership{Instance: a.instance, Leader: holder, Epoch: epoch}, err
}

// onLead does what a new leader owes at once, each time this instance
// takes the lead: it rebuilds the catalog (a rule window or staleness the
// last leader may have missed), replays webhook deliveries stored but not
// applied, and syncs every supplier now rather than an interval after the
// last leader's runs.
func (a *app) onLead(ctx context.Context) {
	if _, err := a.catalog.Refresh(catalog.Fenced(ctx)); err != nil {
		a.log.Error("rebuild on taking the lead", "err", err)
	}
	if n, err := a.inbox.Replay(ctx); err != nil {
		a.log.Error("replay webhooks on taking the lead", "err", err)
	} else if n > 0 {
		a.log.Info("webhooks replayed", "count", n)
	}
	a.sched.syncAll()
}

// listenVersions wakes the catalog's follower at every version another
// instance announces, on a connection of its own, until ctx ends. A lost
// connection is dialled again a second later; the follower's polling
// covers the gap.
func (a *app) listenVersions(ctx context.Context, wake chan<- struct{}) {
	for ctx.Err() == nil {
		if err := a.listenOnce(ctx, wake); err != nil && ctx.Err() == nil {
			a.log.Warn("catalog versions: listen", "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (a *app) listenOnce(ctx context.Context, wake chan<- struct{}) error {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	conn, err := pgx.Connect(cctx, a.cfg.DB)
	cancel()
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+catalog.NotifyChannel); err != nil {
		return err
	}
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		select {
		case wake <- struct{}{}:
		default: // a wake is already pending: it will read the newest
		}
	}
}
