// Package dirtycache limits how many unsynced bytes writers may buffer.
package dirtycache

import "sync"

// DirtyBlockCache tracks unsynced bytes; a background goroutine hands out
// write permission again whenever the count goes down.
type DirtyBlockCache struct {
	lock           sync.Mutex
	unsyncedBytes  int64
	permitted      int64
	decreasedBytes chan int64
	shutdown       chan struct{}
	done           chan struct{}
}

// New starts the permission goroutine.
func New() *DirtyBlockCache {
	d := &DirtyBlockCache{
		decreasedBytes: make(chan int64, 1),
		shutdown:       make(chan struct{}),
		done:           make(chan struct{}),
	}
	go d.processPermission()
	return d
}

func (d *DirtyBlockCache) processPermission() {
	defer close(d.done)
	for {
		select {
		case <-d.decreasedBytes:
			d.lock.Lock()
			d.permitted = -d.unsyncedBytes
			d.lock.Unlock()
		case <-d.shutdown:
			return
		}
	}
}

// UpdateUnsyncedBytes adds delta (negative once bytes are synced).
func (d *DirtyBlockCache) UpdateUnsyncedBytes(delta int64) {
	d.lock.Lock()
	defer d.lock.Unlock()
	d.unsyncedBytes += delta
	if delta < 0 {
		// Never block while holding the lock: the permission goroutine
		// needs it to drain this channel. A pending signal is enough, since
		// the goroutine recomputes the grant from the totals under the lock.
		select {
		case d.decreasedBytes <- -delta:
		default:
		}
	}
}

// Shutdown stops the permission goroutine.
func (d *DirtyBlockCache) Shutdown() {
	close(d.shutdown)
	<-d.done
}
