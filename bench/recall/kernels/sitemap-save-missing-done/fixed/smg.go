// Package smg writes a sitemap index and its sitemaps.
package smg

import (
	"errors"
	"sync"
)

// Sitemap is one sitemap file of the index.
type Sitemap struct {
	Name string
	save func() error
}

// Save writes the sitemap.
func (s *Sitemap) Save() error { return s.save() }

// SitemapIndex owns the sitemaps and saves them in parallel.
type SitemapIndex struct {
	sitemaps []*Sitemap
	wg       sync.WaitGroup
	mu       sync.Mutex
	saved    []string
}

// Add appends a sitemap to the index.
func (s *SitemapIndex) Add(sm *Sitemap) { s.sitemaps = append(s.sitemaps, sm) }

// saveSitemaps saves every sitemap concurrently and returns the first error.
func (s *SitemapIndex) saveSitemaps() error {
	errs := make(chan error, len(s.sitemaps))
	for _, sm := range s.sitemaps {
		s.wg.Add(1)
		go func(sm *Sitemap) {
			defer s.wg.Done()
			if err := sm.Save(); err != nil {
				errs <- err
				return
			}
			s.mu.Lock()
			s.saved = append(s.saved, sm.Name)
			s.mu.Unlock()
		}(sm)
	}
	s.wg.Wait()
	close(errs)
	return <-errs
}

// Save writes all sitemaps and then the index itself.
func (s *SitemapIndex) Save() error {
	if err := s.saveSitemaps(); err != nil {
		return errors.Join(errors.New("saving sitemaps"), err)
	}
	return nil
}
