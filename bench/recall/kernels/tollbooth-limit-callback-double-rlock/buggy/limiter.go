// Package limiter rate-limits HTTP handlers.
package limiter

import (
	"net/http"
	"sync"
)

// Limiter holds the settings of one rate limit. Settings may change while
// requests are served, so they are guarded by mu.
type Limiter struct {
	mu             sync.RWMutex
	max            float64
	message        string
	onLimitReached func(w http.ResponseWriter, r *http.Request)
}

// New returns a limiter allowing max requests per second.
func New(max float64) *Limiter { return &Limiter{max: max, message: "too many requests"} }

// SetMessage sets the body sent to rejected clients.
func (l *Limiter) SetMessage(msg string) *Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.message = msg
	return l
}

// GetMax returns the allowed requests per second.
func (l *Limiter) GetMax() float64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.max
}

// GetMessage returns the body sent to rejected clients.
func (l *Limiter) GetMessage() string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.message
}

// SetOnLimitReached sets a callback run for every rejected request.
func (l *Limiter) SetOnLimitReached(fn func(w http.ResponseWriter, r *http.Request)) *Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.onLimitReached = fn
	return l
}

// ExecOnLimitReached runs the callback, if one is set.
func (l *Limiter) ExecOnLimitReached(w http.ResponseWriter, r *http.Request) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	fn := l.onLimitReached
	if fn != nil {
		fn(w, r)
	}
}
