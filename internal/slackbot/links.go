package slackbot

import (
	"context"
	"net/url"
	"strings"
	"sync"

	"github.com/slack-go/slack"
)

// permalinks caches chat.getPermalink answers: a message's link never
// changes. It forgets everything once full.
type permalinks struct {
	mu    sync.Mutex
	links map[[2]string]string
}

// maxPermalinks bounds the cache.
const maxPermalinks = 4096

func (p *permalinks) get(channel, ts string) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l, ok := p.links[[2]string{channel, ts}]
	return l, ok
}

func (p *permalinks) put(channel, ts, link string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.links == nil || len(p.links) >= maxPermalinks {
		p.links = map[[2]string]string{}
	}
	p.links[[2]string{channel, ts}] = link
}

// Permalink returns the link to a message (chat.getPermalink), cached.
func (n *Notifier) Permalink(ctx context.Context, channel, ts string) (string, error) {
	ctx, cancel := n.c.Bound(ctx)
	defer cancel()
	if l, ok := n.links.get(channel, ts); ok {
		return l, nil
	}
	l, err := n.api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: channel, Ts: ts})
	if err != nil {
		return "", n.failed("chat.getPermalink", err)
	}
	n.links.put(channel, ts, l)
	return l, nil
}

// link renders label as a link to u, or label alone when u is not a plain
// http(s) URL that mrkdwn can carry.
func link(u string, label text) text {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" ||
		strings.ContainsAny(u, "<>| \t\n\"`") || len(u) > 500 {
		return label
	}
	return text("<" + u + "|" + string(label) + ">")
}
