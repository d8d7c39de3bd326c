package FeatAdminContent;

# FeatAdminContent: what the tests of the console's content endpoints
# (t/30-admin-feedback.t, -content.t, -pushes.t, -projects.t, -orders.t)
# share, on top of FeatTest's admin_login:
#
#     my $m = FeatAdminContent::manager($t, 'desk', app => '');
#     my ($st, $j, $h) = adm($m, 'POST', '/admin/api/apps/~/faq', {...});
#     adm($m, 'POST', $path, $body, csrf => 0);     # without the token
#     my $a = FeatAdminContent::audit($t, 'admin.faq.create');

use strict;
use warnings;

use Exporter qw(import);

our @EXPORT_OK = qw(adm);

# A manager of app (app => ID, default "") or of every app (all_apps =>
# 1), signed in: FeatTest's client, with {id} its manager id.
sub manager {
    my ($t, $login, %o) = @_;
    my $c = $t->admin_login(login => $login, %o);

    $c->{id} = $c->{manager}{id};
    return $c;
}

# One call of the admin API as $m: ($status, $data, \%headers).
sub adm {
    my ($m, $method, $path, $body, %o) = @_;
    my %h;

    $h{-no_csrf} = 1 if exists $o{csrf} && !$o{csrf};
    my ($st, $h, $j) = $m->request($method, $path, $body, \%h);
    return ($st, $j, $h);
}

# The newest audit row of action (a hash), or undef.
sub audit {
    my ($t, $action) = @_;

    return $t->db_row('SELECT * FROM audit WHERE action = ?'
        . ' ORDER BY id DESC LIMIT 1', $action);
}

1;
