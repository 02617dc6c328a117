package smg

import (
	"errors"
	"testing"
)

// A sitemap that fails to save must make Save return its error, not hang.
func TestSaveReportsFailedSitemap(t *testing.T) {
	var idx SitemapIndex
	idx.Add(&Sitemap{Name: "a", save: func() error { return nil }})
	idx.Add(&Sitemap{Name: "b", save: func() error { return errors.New("disk full") }})
	if err := idx.Save(); err == nil {
		t.Fatal("want an error")
	}
}
