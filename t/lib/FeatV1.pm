package FeatV1;

# FeatV1: helpers for the v1 dialect's tests (seeds/003): JWTs signed and
# taken apart in Perl with the key the harness can derive (it knows the
# install's secret), and a v1 sign-up through get_verify_code and
# get_token.
#
#     use lib 't/lib';
#     use FeatV1 qw(jwt_sign jwt_parts app_key);
#     my $tok = jwt_sign($t, '{"token_type":"token","user_id":1,'
#         . '"token_time":' . (time + 60) . '}');

use strict;
use warnings;

use Carp qw(croak);
use Digest::SHA qw(hmac_sha256 hmac_sha512);
use Exporter qw(import);
use JSON::PP;
use MIME::Base64 qw(encode_base64url decode_base64url);

our @EXPORT_OK = qw(app_key jwt_sign jwt_parts jwt_payload access_json
    login_v1 v1_auth);

my $JSON = JSON::PP->new->utf8->canonical;

# The app's v1 key: HMAC-SHA256(secret, "jwt:" . app).
sub app_key {
    my ($t, $app) = @_;

    return hmac_sha256('jwt:' . ($app // ''), $t->conf->{secret});
}

# A compact JWS of the payload (a JSON string, sent as given).  Options:
# app (key of that app), key (raw key), alg (header alg, default HS256;
# HS512 signs with SHA-512; none leaves the signature empty), header
# (a whole JSON header string).
sub jwt_sign {
    my ($t, $payload, %o) = @_;
    my $alg = $o{alg} // 'HS256';
    my $header = $o{header} // qq({"alg":"$alg","typ":"JWT"});
    my $key = $o{key} // app_key($t, $o{app});
    my $input = encode_base64url($header) . '.' . encode_base64url($payload);

    return "$input." if $alg eq 'none';
    return "$input." . encode_base64url(hmac_sha512($input, $key))
        if $alg eq 'HS512';
    return "$input." . encode_base64url(hmac_sha256($input, $key));
}

# (header JSON text, payload JSON text) of a token.
sub jwt_parts {
    my ($tok) = @_;
    my ($h, $p) = split(/\./, $tok);

    return (decode_base64url($h), decode_base64url($p));
}

# The decoded payload of a token, as a hash.
sub jwt_payload {
    my ($tok) = @_;

    return $JSON->decode((jwt_parts($tok))[1]);
}

# The payload text of an access (or refresh) token for uid expiring at exp.
sub access_json {
    my ($uid, $exp, $type) = @_;

    return sprintf('{"token_type":"%s","user_id":%s,"token_time":%s}',
        $type // 'token', $uid, $exp);
}

# Signs up or logs in account through v1 (get_verify_code, then get_token
# with the code from sms.log): the answer's message (token,
# refresh_token, ...); dies when a step fails.  Options: app, headers.
sub login_v1 {
    my ($t, $account, %o) = @_;
    my %h = %{ $o{headers} // {} };
    my ($st, $j, $code);

    $h{-app} = $o{app} if defined $o{app};
    ($st, undef, $j) = $t->get("/api/get_verify_code?account=$account",
        {%h});
    croak("get_verify_code $account: $st " . $JSON->encode($j))
        if $st != 200 || ref($j) ne 'HASH' || $j->{code} != 0;
    $code = $t->code_for($account, app => $o{app});
    croak("no code for $account") if !defined $code;
    ($st, undef, $j) = $t->get(
        "/api/get_token?account=$account&verify_code=$code", {%h});
    croak("get_token $account: $st " . $JSON->encode($j))
        if $st != 200 || ref($j) ne 'HASH' || $j->{code} != 0;
    return $j->{message};
}

# Request headers carrying a JWT the v1 way (bare).
sub v1_auth {
    my ($tok, %more) = @_;

    return { Authorization => $tok, %more };
}

1;
