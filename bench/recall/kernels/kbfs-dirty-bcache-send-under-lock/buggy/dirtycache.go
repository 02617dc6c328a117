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
		case n := <-d.decreasedBytes:
			d.lock.Lock()
			d.permitted += n
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
		d.decreasedBytes <- -delta
	}
}

// Shutdown stops the permission goroutine.
func (d *DirtyBlockCache) Shutdown() {
	close(d.shutdown)
	<-d.done
}
