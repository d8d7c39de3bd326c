package FeatV1Content;

# FeatV1Content: helpers the v1 content tests share (t/10-feedback-v1.t,
# t/10-faq-v1.t, t/10-notices-v1.t, t/10-img-v1.t, t/10-area-v1.t), on
# top of FeatTest and FeatAdmin:
#
#     my $u = FeatV1Content::user($t, '13800000001');   # + {jwt}
#     my $j = FeatV1Content::v1($t, $u, 'GET', '/api/user/notice');
#     my ($pid, $port, $log) = FeatV1Content::start_fake($dir, 'amap.pl');
#
# user() registers through v2 (FeatAdmin::user) and logs in through v1's
# password get_token, so each test also walks the v1 login.  v1() sends
# the JWT the v1 way (bare Authorization) through the user's app.

use strict;
use warnings;

use Carp qw(croak);
use FeatAdmin;
use FeatFake;

# { token, id, app, account, jwt, refresh }
sub user {
    my ($t, $account, $app) = @_;
    my $u = FeatAdmin::user($t, $account, $app);
    my %h = $u->{app} ne '' ? (-app => $u->{app}) : ();
    my ($st, undef, $j) = $t->get(
        "/api/get_token?account=$account&password=secret-pw-1", {%h});

    croak("v1 get_token $account: $st")
        if $st != 200 || ref($j) ne 'HASH' || $j->{code} != 0;
    $u->{jwt} = $j->{message}{token};
    $u->{refresh} = $j->{message}{refresh_token};
    return $u;
}

# One call as $u (undef: no token); $body a reference (JSON) or a string.
# Scalar context: the decoded body with {http} added (or {http, raw});
# list context: ($status, $headers, $data) as FeatTest::request.
sub v1 {
    my ($t, $u, $method, $path, $body, $headers) = @_;
    my %h = %{ $headers // {} };

    if (defined $u) {
        $h{Authorization} //= $u->{jwt};
        $h{-app} = $u->{app} if $u->{app} ne '';
    }
    my ($st, $hd, $j) = $t->request($method, $path, $body, \%h);

    return ($st, $hd, $j) if wantarray;
    return ref($j) eq 'HASH' ? { %$j, http => $st }
                             : { http => $st, raw => $j };
}

# Starts t/fake/SCRIPT (ttl 300, --log DIR/SCRIPT.log, DIR a directory or
# a FeatTest's): (pid, port, log).  Stopped at the end of the test file.
sub start_fake {
    my ($dir, $script, @args) = @_;
    my $log = (ref $dir ? $dir->dir : $dir) . "/$script.log";
    my ($pid, $port) = FeatFake::start($script, 300, '--log', $log, @args);

    return ($pid, $port, $log);
}

1;
