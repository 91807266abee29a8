package lambdatest

import (
	"sync"
	"time"
)

// InFlight counts the calls a fake is answering at once and the most it answered at once: what
// IAM's account-wide throttling would see. The zero value is ready to use.
type InFlight struct {
	mu        sync.Mutex
	now, most int
}

// Begin counts a call, waits latency (a fake's answer time), and returns the func that ends it.
func (c *InFlight) Begin(latency time.Duration) (end func()) {
	c.mu.Lock()
	c.now++
	c.most = max(c.most, c.now)
	c.mu.Unlock()
	time.Sleep(latency)
	return func() {
		c.mu.Lock()
		c.now--
		c.mu.Unlock()
	}
}

// Max returns the most calls that were in flight at once.
func (c *InFlight) Max() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.most
}
