package outbound

import (
	"crypto/x509"
	"net/http/httptest"
)

// certPool trusts srv's certificate.
func certPool(srv *httptest.Server) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(srv.Certificate())
	return p
}
