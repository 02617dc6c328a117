// Package consistent maps keys to members with a consistent-hash ring.
package consistent

import (
	"hash/fnv"
	"sort"
	"sync"
)

// Consistent holds the ring and the partition table.
type Consistent struct {
	mu             sync.RWMutex
	partitionCount int
	members        map[string]bool
	partitions     map[int]string
	ring           []uint64
	owners         map[uint64]string
}

// New returns a ring with the given number of partitions.
func New(partitionCount int) *Consistent {
	return &Consistent{
		partitionCount: partitionCount,
		members:        map[string]bool{},
		partitions:     map[int]string{},
		owners:         map[uint64]string{},
	}
}

func hash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// Add puts a member on the ring and redistributes the partitions.
func (c *Consistent) Add(member string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.members[member] = true
	c.rebuild()
}

// Remove takes a member off the ring.
func (c *Consistent) Remove(member string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.members, member)
	c.rebuild()
}

func (c *Consistent) rebuild() {
	c.ring = c.ring[:0]
	clear(c.owners)
	for m := range c.members {
		h := hash(m)
		c.ring = append(c.ring, h)
		c.owners[h] = m
	}
	sort.Slice(c.ring, func(i, j int) bool { return c.ring[i] < c.ring[j] })
	for p := 0; p < c.partitionCount && len(c.ring) > 0; p++ {
		i := sort.Search(len(c.ring), func(i int) bool { return c.ring[i] >= uint64(p) })
		c.partitions[p] = c.owners[c.ring[i%len(c.ring)]]
	}
}

// GetPartitionOwner returns the member owning partition id.
func (c *Consistent) GetPartitionOwner(id int) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.getPartitionOwner(id)
}

// getPartitionOwner is GetPartitionOwner for callers that hold c.mu.
func (c *Consistent) getPartitionOwner(id int) string {
	return c.partitions[id]
}

// GetClosestN returns up to n distinct members for key, starting at the
// owner of the key's partition.
func (c *Consistent) GetClosestN(key string, n int) []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	partID := int(hash(key) % uint64(c.partitionCount))
	owner := c.getPartitionOwner(partID)
	res := []string{owner}
	for m := range c.members {
		if len(res) >= n {
			break
		}
		if m != owner {
			res = append(res, m)
		}
	}
	return res
}
