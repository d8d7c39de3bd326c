package FeatAdmin;

# FeatAdmin: helpers the v2 content tests share (t/10-faq-v2.t,
# t/10-feedback-v2.t, t/10-push-v2.t, t/10-isolation-v2.t,
# t/20-featctl-admin.t), on top of FeatTest:
#
#     my $u = FeatAdmin::user($t, '13800000001');          # app ""
#     my $s = FeatAdmin::user($t, '13800000002', 'shop');  # app shop
#     # { token, id, app, account }
#     my ($rc, $data, $err) = FeatAdmin::ctl($t, 'faq', 'add', ...);
#     my $j = FeatAdmin::api($t, $u, 'GET', '/api/faq?page_no=2');
#
# api() goes through the nginx server of the user's app (FEAT_APP_ID),
# with the user's token, and answers the decoded body (a hash), so a test
# reads as "what the user sees".

use strict;
use warnings;

use Carp qw(croak);
use JSON::PP;
use Test::More;

my $J = JSON::PP->new->utf8->canonical;

# Test names quote featctl arguments, which may be Chinese.
binmode(Test::More->builder->$_, ':encoding(UTF-8)')
    for qw(output failure_output todo_output);

# Registers account in app ("" by default) through v2 and answers
# { token, id, app, account }.
sub user {
    my ($t, $account, $app) = @_;
    my %o = defined $app && $app ne '' ? (app => $app,
        headers => { -app => $app }) : ();
    my $d = $t->register_v2($account, 'secret-pw-1', %o);
    my $id = $t->db_value(
        'SELECT id FROM users WHERE username = ? AND app_id = ?', $account,
        $app // '');

    croak("no user row for $account") if !defined $id;
    return { token => $d->{access_token}, id => $id, app => $app // '',
        account => $account };
}

# featctl --json ARGS: ($exit, decoded stdout or undef, stderr).
sub ctl {
    my ($t, @args) = @_;
    my ($rc, $out, $err) = $t->featctl('--json', @args);
    my $data = eval { $J->decode($out) };

    return ($rc, $data, $err);
}

# featctl ARGS that must succeed: the decoded --json output.
sub ctl_ok {
    my ($t, @args) = @_;
    my ($rc, $data, $err) = ctl($t, @args);

    is($rc, 0, "featctl @args: exit 0") or diag($err);
    return $data;
}

# One API call as user $u (undef: no token): the decoded body, or
# { http => STATUS, raw => BODY } when it is not JSON.
sub api {
    my ($t, $u, $method, $path, $body) = @_;
    my %h;

    if (defined $u) {
        $h{-token} = $u->{token};
        $h{-app} = $u->{app} if $u->{app} ne '';
    }
    my ($st, $h, $j) = $t->request($method, $path, $body, \%h);

    return ref($j) eq 'HASH' ? { %$j, http => $st }
                             : { http => $st, raw => $j };
}

# The ids of a paged v2 list answer, in order.
sub ids {
    my ($j) = @_;

    return [ map { $_->{id} } @{ $j->{data}{data} // [] } ];
}

1;
