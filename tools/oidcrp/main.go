// Command oidcrp is a tiny application that signs parents in with
// Sésame's OpenID Connect provider, for the browser tests
// (e2e/oidc.spec.ts): what a school's Moodle does, with
// golang.org/x/oauth2 and github.com/coreos/go-oidc. Its home page has a
// sign-in link; /login starts the code flow (state, nonce, PKCE S256);
// /cb checks the state, exchanges the code, verifies the ID token
// against the provider's JWKS and the nonce, and greets the parent by
// the name in the ID token. It never serves anything but loopback.
//
//	oidcrp -addr 127.0.0.1:9000 -issuer http://127.0.0.1:8080 -client-id ID
//
// The client secret is read from OIDCRP_CLIENT_SECRET (never the
// command line). It prints "ready" on stdout once it listens.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"html/template"
	"log"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

var page = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>{{.Title}}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main>
<h1>{{.Title}}</h1>
{{if .User}}<p data-testid="rp-user">Bonjour, {{.User}}</p>
<p data-testid="rp-username">{{.Username}}</p><p data-testid="rp-email">{{.Email}}</p>
<p data-testid="rp-sub">{{.Sub}}</p>{{end}}
{{if .Error}}<p data-testid="rp-error">{{.Error}}</p>{{end}}
{{if not .User}}<p><a href="/login" data-testid="rp-login">Se connecter avec l'Espace Parents</a></p>{{end}}
</main></body></html>`))

type view struct {
	Title, User, Username, Email, Sub, Error string
}

// pending is one sign-in in progress, by its state.
type pending struct {
	nonce, verifier string
	at              time.Time
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "loopback address to listen on")
	issuer := flag.String("issuer", "", "Sésame's base URL")
	clientID := flag.String("client-id", "", "the client ID `sesame oidc clients add` printed")
	name := flag.String("name", "Moodle", "the application's name, shown as its title")
	flag.Parse()
	secret := os.Getenv("OIDCRP_CLIENT_SECRET")
	if *issuer == "" || *clientID == "" || secret == "" {
		log.Fatal("oidcrp: -issuer, -client-id and OIDCRP_CLIENT_SECRET are required")
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
		log.Fatal("oidcrp: loopback addresses only")
	}
	self := "http://" + ln.Addr().String()
	ctx := context.Background()
	provider, err := gooidc.NewProvider(ctx, *issuer)
	if err != nil {
		log.Fatalf("oidcrp: discovery: %v", err)
	}
	conf := oauth2.Config{ClientID: *clientID, ClientSecret: secret, Endpoint: provider.Endpoint(), RedirectURL: self + "/cb",
		Scopes: []string{gooidc.ScopeOpenID, "profile", "email"}}
	verifier := provider.Verifier(&gooidc.Config{ClientID: *clientID})
	var mu sync.Mutex
	flows := map[string]pending{}

	show := func(w http.ResponseWriter, status int, v view) {
		v.Title = *name
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		_ = page.Execute(w, v)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { show(w, 200, view{}) })
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		state, nonce, pv := random(), random(), oauth2.GenerateVerifier()
		mu.Lock()
		flows[state] = pending{nonce: nonce, verifier: pv, at: time.Now()}
		mu.Unlock()
		opts := []oauth2.AuthCodeOption{gooidc.Nonce(nonce), oauth2.S256ChallengeOption(pv)}
		if l := r.URL.Query().Get("ui_locales"); l != "" {
			opts = append(opts, oauth2.SetAuthURLParam("ui_locales", l))
		}
		http.Redirect(w, r, conf.AuthCodeURL(state, opts...), http.StatusFound)
	})
	mux.HandleFunc("GET /cb", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		mu.Lock()
		p, ok := flows[q.Get("state")]
		delete(flows, q.Get("state"))
		mu.Unlock()
		switch {
		case q.Get("error") != "":
			show(w, 400, view{Error: "refused: " + q.Get("error")})
			return
		case !ok || time.Since(p.at) > 2*time.Hour:
			show(w, 400, view{Error: "unknown state"})
			return
		}
		tok, err := conf.Exchange(r.Context(), q.Get("code"), oauth2.VerifierOption(p.verifier))
		if err != nil {
			show(w, 400, view{Error: "code exchange: " + err.Error()})
			return
		}
		raw, _ := tok.Extra("id_token").(string)
		idt, err := verifier.Verify(r.Context(), raw)
		if err != nil || idt.Nonce != p.nonce {
			show(w, 400, view{Error: fmt.Sprintf("ID token: %v (nonce ok: %v)", err, err == nil && idt.Nonce == p.nonce)})
			return
		}
		var c struct {
			Name     string `json:"name"`
			Username string `json:"preferred_username"`
			Email    string `json:"email"`
		}
		if err := idt.Claims(&c); err != nil {
			show(w, 400, view{Error: "claims: " + err.Error()})
			return
		}
		show(w, 200, view{User: c.Name, Username: c.Username, Email: c.Email, Sub: idt.Subject})
	})
	fmt.Println("ready", self)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.Serve(ln))
}

func random() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
