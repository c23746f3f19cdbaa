// SPDX-License-Identifier: Apache-2.0
/* net: one query in. The message is read and every answer built with ldns.
 * Names of the asking sandbox's networks are answered here (A, AAAA, ANY,
 * PTR; a known name without records of the asked type is NOERROR with no
 * answer); anything else is forwarded, unless every network of the asker
 * is internal (then NXDOMAIN) or the listener refuses unknown names (the
 * gateway listener of CNI callers: REFUSED, their resolver moves on). */
#include "netd/net/dns_internal.h"

#include <ctype.h>

void dns__client_drop(struct dns_client *cl)
{
	if (cl->l)
		dns__listener_unref(cl->l);
	if (cl->c)
		dns__conn_unref(cl->c);
	cl->l = NULL;
	cl->c = NULL;
}

void dns__reply(struct dns_client *cl, const uint8_t *w, size_t n)
{
	if (cl->c) {
		dns__conn_send(cl->c, w, n);
	} else if (cl->l && !cl->l->closing) {
		uv_buf_t b = uv_buf_init((char *)w, (unsigned)n);
		(void)uv_udp_try_send(&cl->l->udp, &b, 1, (const struct sockaddr *)&cl->peer);
	}
	dns__client_drop(cl);
}

static void reply_pkt(struct dns_client *cl, ldns_pkt *p)
{
	uint8_t *w = NULL;
	size_t n = 0;
	if (ldns_pkt2wire(&w, p, &n) != LDNS_STATUS_OK) {
		free(w);
		dns__client_drop(cl);
		return;
	}
	dns__reply(cl, w, n);
	free(w);
}

/* the reply skeleton: id, opcode, RD as asked, the question echoed, EDNS when asked */
static ldns_pkt *reply_new(const ldns_pkt *qp, ldns_pkt_rcode rcode)
{
	ldns_pkt *p = ldns_pkt_new();
	if (!p)
		return NULL;
	ldns_pkt_set_id(p, ldns_pkt_id(qp));
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_opcode(p, ldns_pkt_get_opcode(qp));
	ldns_pkt_set_rd(p, ldns_pkt_rd(qp));
	ldns_pkt_set_ra(p, true);
	ldns_pkt_set_cd(p, ldns_pkt_cd(qp));
	ldns_pkt_set_rcode(p, (uint8_t)rcode);
	ldns_rr_list *q = ldns_pkt_question(qp);
	if (q && ldns_rr_list_rr_count(q)) {
		ldns_rr_list_deep_free(ldns_pkt_question(p));
		ldns_pkt_set_question(p, ldns_rr_list_clone(q));
		ldns_pkt_set_qdcount(p, (uint16_t)ldns_rr_list_rr_count(q));
	}
	if (ldns_pkt_edns(qp)) {
		ldns_pkt_set_edns_udp_size(p, 4096);
		ldns_pkt_set_edns_do(p, ldns_pkt_edns_do(qp));
	}
	return p;
}

void dns__reply_rcode(struct dns_client *cl, const uint8_t *q, size_t qlen, ldns_pkt_rcode rcode)
{
	ldns_pkt *qp = NULL;
	if (ldns_wire2pkt(&qp, q, qlen) != LDNS_STATUS_OK) {
		dns__client_drop(cl);   /* nothing to answer to */
		return;
	}
	ldns_pkt *p = reply_new(qp, rcode);
	if (p)
		reply_pkt(cl, p);
	else
		dns__client_drop(cl);
	ldns_pkt_free(p);
	ldns_pkt_free(qp);
}

static void add_rr(ldns_pkt *p, const ldns_rdf *owner, ldns_rr_type type, ldns_rdf *data)
{
	ldns_rr *rr = ldns_rr_new();
	if (!rr) {
		ldns_rdf_deep_free(data);
		return;
	}
	ldns_rr_set_owner(rr, ldns_rdf_clone(owner));
	ldns_rr_set_type(rr, type);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_ttl(rr, DNS_TTL_LOCAL);
	ldns_rr_push_rdf(rr, data);
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
}

static void latency(struct dns_engine *eng, uint64_t t0)
{
	uint64_t us = (uv_hrtime() - t0) / 1000;
	static const uint64_t lim[] = { 10, 50, 100, 250, 500, 1000, 10000 };
	size_t i = 0;
	while (i < ARRAY_SIZE(lim) && us >= lim[i])
		i++;
	eng->lat_hist[i]++;
}

void dns__handle(struct dns_engine *eng, struct dns_client *cl, struct dns_scope *scope, const uint8_t *q,
		 size_t qlen, bool tcp, enum dns_unknown unknown, const size_t *ups, size_t nups)
{
	uint64_t t0 = uv_hrtime();
	eng->queries++;
	ldns_pkt *qp = NULL;
	if (ldns_wire2pkt(&qp, q, qlen) != LDNS_STATUS_OK) {
		dns__client_drop(cl);   /* not DNS: no answer (nothing to echo) */
		return;
	}
	ldns_pkt *p = NULL;
	if (ldns_pkt_qr(qp)) {
		dns__client_drop(cl);   /* a response: never answered */
		goto out;
	}
	if (!tcp)
		cl->max = ldns_pkt_edns(qp) && ldns_pkt_edns_udp_size(qp) > 512 ? ldns_pkt_edns_udp_size(qp) : 512;
	else
		cl->max = 65535;
	if (ldns_pkt_get_opcode(qp) != LDNS_PACKET_QUERY) {
		p = reply_new(qp, LDNS_RCODE_NOTIMPL);
		goto send;
	}
	ldns_rr_list *ql = ldns_pkt_question(qp);
	if (!ql || ldns_rr_list_rr_count(ql) != 1) {
		p = reply_new(qp, LDNS_RCODE_FORMERR);
		goto send;
	}
	ldns_rr *qrr = ldns_rr_list_rr(ql, 0);
	ldns_rr_type qtype = ldns_rr_get_type(qrr);
	ldns_rdf *owner = ldns_rr_owner(qrr);
	char name[512];
	char *s = ldns_rdf2str(owner);
	snprintf(name, sizeof(name), "%s", s ? s : "");
	free(s);
	size_t l = strlen(name);
	if (l && name[l - 1] == '.')
		name[--l] = '\0';
	for (char *c = name; *c; c++)
		*c = (char)tolower((unsigned char)*c);

	struct dns_found f;
	bool ptr = qtype == LDNS_RR_TYPE_PTR;
	if (ldns_rr_get_class(qrr) == LDNS_RR_CLASS_IN && l)
		dns__lookup(scope, name, ptr, &f);
	else
		f.known = false;
	if (f.known) {
		eng->answered_local++;
		p = reply_new(qp, LDNS_RCODE_NOERROR);
		if (!p)
			goto send;
		ldns_pkt_set_aa(p, true);
		if (ptr) {
			ldns_rdf *dn = ldns_dname_new_frm_str(f.ptr);
			if (dn)
				add_rr(p, owner, LDNS_RR_TYPE_PTR, dn);
		} else {
			bool a = qtype == LDNS_RR_TYPE_A || qtype == LDNS_RR_TYPE_ANY;
			bool aaaa = qtype == LDNS_RR_TYPE_AAAA || qtype == LDNS_RR_TYPE_ANY;
			for (size_t i = 0; a && i < f.n4; i++)
				add_rr(p, owner, LDNS_RR_TYPE_A, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_A, 4, &f.v4[i]));
			for (size_t i = 0; aaaa && i < f.n6; i++)
				add_rr(p, owner, LDNS_RR_TYPE_AAAA, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_AAAA, 16, &f.v6[i]));
		}
		goto send;
	}
	/* not ours */
	if (unknown == DNS_UNKNOWN_REFUSE) {
		p = reply_new(qp, LDNS_RCODE_REFUSED);
		goto send;
	}
	if (!scope->forward) {
		eng->nxdomain++;
		p = reply_new(qp, LDNS_RCODE_NXDOMAIN);   /* internal networks: never forwarded */
		goto send;
	}
	uint8_t *w = NULL;
	size_t wn = 0;
	if (dns__cache_get(eng, qp, cl->max, &w, &wn)) {
		eng->cache_hits++;
		dns__reply(cl, w, wn);
		free(w);
		latency(eng, t0);
		goto out;
	}
	size_t host[DNS_MAX_UPSTREAMS];
	if (!nups) {
		dns__host_refresh(eng, false);
		memcpy(host, eng->host_ups, eng->nhost_ups * sizeof(size_t));
		nups = eng->nhost_ups;
		ups = host;
	}
	dns__forward(eng, cl, q, qlen, qp, ups, nups, tcp);   /* takes the client */
	goto out;

send:
	if (p) {
		uint8_t *wire = NULL;
		size_t n = 0;
		if (ldns_pkt2wire(&wire, p, &n) == LDNS_STATUS_OK && n > cl->max) {
			/* too large for this UDP client: the header and question, TC set */
			free(wire);
			wire = NULL;
			eng->truncated++;
			ldns_rr_list_deep_free(ldns_pkt_answer(p));
			ldns_pkt_set_answer(p, ldns_rr_list_new());
			ldns_pkt_set_ancount(p, 0);
			ldns_pkt_set_tc(p, true);
			if (ldns_pkt2wire(&wire, p, &n) != LDNS_STATUS_OK)
				n = 0;
		}
		if (wire && n)
			dns__reply(cl, wire, n);
		else
			dns__client_drop(cl);
		free(wire);
		latency(eng, t0);
	} else {
		dns__client_drop(cl);
	}
out:
	ldns_pkt_free(p);
	ldns_pkt_free(qp);
}
