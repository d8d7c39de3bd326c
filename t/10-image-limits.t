#!/usr/bin/perl

# 10-image-limits.t: decompression bombs (issue 12, finding 2).  On every
# upload route (v1 POST /api/user/img, feat POST /api/user/user-image/) an
# image whose header claims more than image.max_side (10000) on a side or
# image.max_pixels (40000000) in all is refused as the dialect's field
# error (v1 10012, feat 400 invalid naming "image"), from its header alone:
# a 20000 x 20000 PNG or JPEG, a GIF whose screen or any frame claims
# 65535 x 65535.  Nothing reaches media_dir and no row is written; images
# at the limits still pass, and the limits are the config's.

use strict;
use warnings;

use lib 't/lib';
use FeatImage;
use FeatTest;
use FeatV1Content;
use Test::More;

my $t = FeatTest->new('code.ip_hourly_limit' => 1000);
my ($st, $h, $j);

my $u = FeatV1Content::user($t, '13800000071');
my $tok = $t->register_v2('18656667001', 'secret7001')->{access_token};

my %bombs = (
    'PNG 20000 x 20000'      => FeatImage::png(20000, 20000),
    'PNG 10001 x 1'          => FeatImage::png(10001, 1),
    'PNG 7000 x 7000'        => FeatImage::png(7000, 7000),
    'JPEG 20000 x 20000'     => FeatImage::jpeg(20000, 20000),
    'JPEG 65535 x 2'         => FeatImage::jpeg(65535, 2),
    'GIF screen 65535 x 65535' => FeatImage::gif(65535, 65535),
    'GIF frame 65535 x 65535' => FeatImage::gif(1, 1,
        blocks => [ FeatImage::gif_frame(65535, 65535) ]),
    'GIF second frame 30000 x 30000' => FeatImage::gif(1, 1,
        blocks => [ FeatImage::gif_frame(1, 1),
                    FeatImage::gif_frame(30000, 30000) ]),
    'GIF frame at 9999 + 2' => FeatImage::gif(1, 1,
        blocks => [ FeatImage::gif_frame(2, 1, 9999, 0) ]),
);

my @files = FeatImage::media_files($t);
my $rows = $t->db_value('SELECT COUNT(*) FROM images');

for my $name (sort keys %bombs) {
    $j = FeatImage::upload_v1($t, $u, $bombs{$name});
    is($j->{code}, 10012, "v1 /api/user/img, $name: 10012");

    ($st, $h, $j) = FeatImage::upload_feat($t, $tok, $bombs{$name});
    is($st, 400, "feat user-image, $name: 400");
    is($j->{code}, 'invalid', '... invalid');
    is_deeply($j->{errors}, { image => [ 'image too large' ] },
        '... naming "image"');
}

is_deeply([ FeatImage::media_files($t) ], \@files,
    'no refused image reached media_dir');
is($t->db_value('SELECT COUNT(*) FROM images'), $rows, '... nor the table');

# ---- at the limits -----------------------------------------------------------

$j = FeatImage::upload_v1($t, $u, FeatImage::png(10000, 1));
is($j->{code}, 0, 'v1: PNG 10000 x 1 accepted');
($st, $h, $j) = FeatImage::upload_feat($t, $tok, FeatImage::gif(10000, 4000,
    blocks => [ FeatImage::gif_frame(10000, 4000) ]));
is($st, 201, 'feat: GIF 10000 x 4000 (40000000 pixels) accepted');
is($j->{data}{width}, 10000, '... width 10000');
($st, $h, $j) = FeatImage::upload_feat($t, $tok, FeatImage::jpeg(3, 2));
is($st, 201, 'feat: a small JPEG accepted');

# ---- the limits are the config's ---------------------------------------------

$t->stop;
my $t2 = FeatTest->new('image.max_side' => 100, 'image.max_pixels' => 5000,
    'code.ip_hourly_limit' => 1000);
$u = FeatV1Content::user($t2, '13800000072');
$tok = $t2->register_v2('18656667002', 'secret7002')->{access_token};

$j = FeatImage::upload_v1($t2, $u, FeatImage::png(101, 1));
is($j->{code}, 10012, 'image.max_side 100: PNG 101 x 1 refused (v1)');
($st, $h, $j) = FeatImage::upload_feat($t2, $tok, FeatImage::png(80, 80));
is($st, 400, 'image.max_pixels 5000: PNG 80 x 80 refused (feat)');
($st, $h, $j) = FeatImage::upload_feat($t2, $tok, FeatImage::png(50, 100));
is($st, 201, '... PNG 50 x 100 accepted');

$t2->stop;
done_testing;
