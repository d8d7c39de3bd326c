#!/usr/bin/perl

# 10-images-feat.t: the feat user images (API.md "User images", seeds/002):
# multipart upload judged by content, metadata stripped, the object and
# its public /media/ URL through nginx, list paging, PATCH, DELETE that
# makes the URL answer 404, the owner-only rule, and the upload limit.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use Compress::Zlib qw(compress crc32);
use Encode qw(encode_utf8);
use File::Find qw(find);
use FeatTest;
use HTTP::Tiny;
use Test::More;

my $t = FeatTest->new(max_upload => '200k');
my ($st, $h, $j);

# ---- tiny images, built byte by byte ----------------------------------------

sub png_chunk {
    my ($type, $data) = @_;

    return pack('N', length $data) . $type . $data
        . pack('N', crc32($type . $data));
}

# A w x h grey PNG.
sub png {
    my ($w, $h) = @_;
    my $raw = join('', map { "\0" . ("\x80" x $w) } 1 .. $h);

    return "\x89PNG\r\n\x1a\n"
        . png_chunk('IHDR', pack('NNCCCCC', $w, $h, 8, 0, 0, 0, 0))
        . png_chunk('IDAT', compress($raw))
        . png_chunk('IEND', '');
}

sub jpeg_segment {
    my ($marker, $data) = @_;

    return "\xff" . chr($marker) . pack('n', length($data) + 2) . $data;
}

# A 3 x 2 JPEG frame with an EXIF segment carrying a GPS position and a
# comment, the metadata the upload must lose.
my $gps = 'GPSLatitude=31.2304N;GPSLongitude=121.4737E';
my $jpeg = "\xff\xd8"
    . jpeg_segment(0xe0, "JFIF\0\x01\x01\0\0\x01\0\x01\0\0")
    . jpeg_segment(0xe1, "Exif\0\0MM\0\x2a\0\0\0\x08$gps")
    . jpeg_segment(0xfe, 'taken at home')
    . jpeg_segment(0xc0, pack('CnnC', 8, 2, 3, 1) . "\x01\x11\x00")
    . jpeg_segment(0xda, "\x01\x01\x00\x00\x3f\x00")
    . "\x12\x34\x56"
    . "\xff\xd9";

my $boundary = 'featTestBoundary7MA4YWxkTrZu0gW';

# A multipart/form-data body: [name, value, filename?, type?] each.
sub multipart {
    my (@parts) = @_;
    my $body = '';

    for my $p (@parts) {
        my ($name, $value, $file, $type) = @$p;

        $body .= "--$boundary\r\nContent-Disposition: form-data; name=\"$name\"";
        $body .= "; filename=\"$file\"" if defined $file;
        $body .= "\r\n";
        $body .= "Content-Type: $type\r\n" if defined $type;
        $body .= "\r\n" . (utf8::is_utf8($value) ? encode_utf8($value) : $value)
            . "\r\n";
    }
    return $body . "--$boundary--\r\n";
}

sub upload {
    my ($token, @parts) = @_;

    return $t->post('/api/user/user-image/', multipart(@parts),
        { -token => $token,
          'Content-Type' => "multipart/form-data; boundary=$boundary" });
}

# GET a public URL through nginx: (status, content type, body).
sub fetch {
    my ($url) = @_;
    my $res = HTTP::Tiny->new(timeout => 30)->get($url);

    return ($res->{status}, $res->{headers}{'content-type'} // '',
        $res->{content} // '');
}

# Files under media_dir (no temp files left behind either).
sub media_files {
    my @f;

    find(sub { push @f, $File::Find::name if -f $_ }, $t->dir . '/media');
    return sort @f;
}

my $a = $t->register_v2('18656661001', 'secret1001')->{access_token};
my $b = $t->register_v2('18656661002', 'secret1002')->{access_token};
my $uid_a = $t->db_value(q{SELECT id FROM users WHERE phone = '18656661001'});

# ---- upload: a PNG ------------------------------------------------------------

my $png = png(4, 3);
($st, $h, $j) = upload($a, ['image', $png, 'a.png', 'image/png'],
    ['title', '外滩'], ['description', 'the Bund at night']);
is($st, 201, 'POST a PNG: 201');
my $img = $j->{data};
is_deeply([ sort keys %$img ], [ sort qw(id url width height size
    content_type title description created_at) ], '... exactly the fields');
is($img->{width}, 4, '... width');
is($img->{height}, 3, '... height');
is($img->{size}, length $png, '... size');
is($img->{content_type}, 'image/png', '... content_type');
is($img->{title}, '外滩', '... title');
is($img->{description}, 'the Bund at night', '... description');
like($img->{created_at}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/,
    '... created_at in the feat form');
my $port = $t->port;
like($img->{url},
    qr{^http://127\.0\.0\.1:$port/media/[0-9A-Za-z]{2}/[0-9A-Za-z]{32}\.png$},
    '... an absolute /media/ URL with a random name');

my $row = $t->db_row('SELECT * FROM images WHERE id = ?', $img->{id});
is($row->{user_id}, $uid_a, '... stored for the caller');
is($row->{app_id}, '', '... in the default app');
is($row->{title}, '外滩', '... title stored');
is($row->{size}, length $png, '... size stored');
ok(-f $t->dir . "/media/$row->{relpath}", '... the file exists');
# file_group empty: 0600, nginx runs as featcgi's user
is((stat(_))[2] & 0777, 0600, '... mode 0600');

my ($fst, $ftype, $fbody) = fetch($img->{url});
is($fst, 200, 'its URL through nginx: 200');
is($ftype, 'image/png', '... image/png');
ok($fbody eq $png, '... the same bytes');

# ---- upload: a JPEG with EXIF ---------------------------------------------------

($st, $h, $j) = upload($a, ['image', $jpeg, 'photo.jpg', 'image/jpeg']);
is($st, 201, 'POST a JPEG with EXIF: 201');
my $jimg = $j->{data};
is($jimg->{content_type}, 'image/jpeg', '... image/jpeg');
is($jimg->{width}, 3, '... width 3');
is($jimg->{height}, 2, '... height 2');
is($jimg->{title}, '', '... no title: ""');
is($jimg->{description}, '', '... no description: ""');
like($jimg->{url}, qr{/media/\w\w/\w{32}\.jpg$}, '... a .jpg URL');
cmp_ok($jimg->{size}, '<', length $jpeg, '... smaller than uploaded');

($fst, $ftype, $fbody) = fetch($jimg->{url});
is($fst, 200, 'the JPEG through nginx: 200');
is($ftype, 'image/jpeg', '... image/jpeg');
is(length $fbody, $jimg->{size}, '... size as answered');
ok(index($fbody, 'Exif') < 0, '... no EXIF segment');
ok(index($fbody, 'GPSLatitude') < 0, '... no GPS position');
ok(index($fbody, 'taken at home') < 0, '... no comment');
ok(index($fbody, "\xff\xe1") < 0, '... no APP1 marker');
is(substr($fbody, 0, 2), "\xff\xd8", '... still starts with SOI');
is(substr($fbody, -2), "\xff\xd9", '... still ends with EOI');
ok(index($fbody, pack('CnnC', 8, 2, 3, 1)) > 0, '... frame header kept');

# ---- refused uploads ----------------------------------------------------------

my $rows = $t->db_value('SELECT count(*) FROM images');
my @files = media_files();

($st, $h, $j) = upload($a, ['image', "<?php system(\$_GET['c']); ?>\n",
    'evil.png', 'image/png']);
is($st, 400, 'a .png named file that is not an image: 400');
is($j->{code}, 'invalid', '... invalid');
ok($j->{errors}{image}, '... errors.image');

($st, $h, $j) = upload($a, ['image', substr($png, 0, -12), 'cut.png',
    'image/png']);
is($st, 400, 'a truncated PNG: 400');
ok($j->{errors}{image}, '... errors.image');

($st, $h, $j) = upload($a, ['title', 'no file']);
is($st, 400, 'no image part: 400');
ok($j->{errors}{image}, '... errors.image');

($st, $h, $j) = upload($a, ['image', $png, 'a.png'], ['title', 'x' x 65]);
is($st, 400, 'a 65-character title: 400');
ok($j->{errors}{title}, '... errors.title');

($st, $h, $j) = upload($a, ['image', $png, 'a.png'],
    ['description', 'x' x 513]);
is($st, 400, 'a 513-character description: 400');
ok($j->{errors}{description}, '... errors.description');

($st, $h, $j) = upload($a, ['image', $png, 'a.png'], ['title', "\xff\xfe"]);
is($st, 400, 'a title that is not UTF-8: 400');

($st, $h, $j) = $t->post('/api/user/user-image/', { image => 'x' },
    { -token => $a });
is($st, 415, 'a JSON body: 415');
is($j->{code}, 'unsupported_media_type', '... unsupported_media_type');

($st, $h, $j) = $t->post('/api/user/user-image/',
    "--$boundary\r\nContent-Disposition: form-data; name=\"image\"\r\n\r\nabc",
    { -token => $a,
      'Content-Type' => "multipart/form-data; boundary=$boundary" });
is($st, 400, 'a malformed multipart body: 400');

($st, $h, $j) = upload($a, ['image', $png . ("\0" x (210 * 1024)), 'big.png']);
is($st, 413, 'a body over max_upload: 413');
is($j->{code}, 'request_too_large', '... request_too_large');

($st, $h, $j) = upload(undef, ['image', $png, 'a.png']);
is($st, 401, 'no token: 401');

is($t->db_value('SELECT count(*) FROM images'), $rows,
    'refused uploads store no row');
is_deeply([ media_files() ], \@files, '... and leave no file');

($st, $h, $j) = upload($a, ['image', $png, 'a.png'], ['title', '字' x 64],
    ['description', '述' x 512]);
is($st, 201, '64-character title and 512-character description: 201');
my $third = $j->{data};
is($third->{title}, '字' x 64, '... title whole');

# ---- list -------------------------------------------------------------------------

($st, $h, $j) = $t->get('/api/user/user-image/', { -token => $a });
is($st, 200, 'list: 200');
is($j->{data}{count}, 3, '... count 3');
is($j->{data}{next}, undef, '... next null');
is($j->{data}{previous}, undef, '... previous null');
is_deeply([ map { $_->{id} } @{ $j->{data}{results} } ],
    [ $third->{id}, $jimg->{id}, $img->{id} ], '... newest first');
is_deeply($j->{data}{results}[2], $img, '... the same object as the upload');

($st, $h, $j) = $t->get('/api/user/user-image/?page_size=2',
    { -token => $a });
is(scalar @{ $j->{data}{results} }, 2, 'page_size=2: two');
like($j->{data}{next}, qr{^http://127\.0\.0\.1:$port/api/user/user-image/\?page_size=2&page=2$},
    '... next is absolute');
($st, $h, $j) = $t->get('/api/user/user-image/?page_size=2&page=2',
    { -token => $a });
is_deeply([ map { $_->{id} } @{ $j->{data}{results} } ], [ $img->{id} ],
    '... page 2: the oldest');
($st, $h, $j) = $t->get('/api/user/user-image/?page=0', { -token => $a });
is($st, 400, 'page=0: 400');

($st, $h, $j) = $t->get('/api/user/user-image/', { -token => $b });
is($j->{data}{count}, 0, "B's list is empty");

# ---- one image, owner only ------------------------------------------------------

($st, $h, $j) = $t->get("/api/user/user-image/$img->{id}/", { -token => $a });
is($st, 200, 'GET own image: 200');
is_deeply($j->{data}, $img, '... the object');

my $before = $t->db_row('SELECT * FROM images WHERE id = ?', $img->{id});
($st, $h, $j) = $t->get("/api/user/user-image/$img->{id}/", { -token => $b });
is($st, 404, "B GETs A's image: 404");
is($j->{code}, 'not_found', '... not_found');
($st, $h, $j) = $t->patch("/api/user/user-image/$img->{id}/",
    { title => 'mine now' }, { -token => $b });
is($st, 404, "B PATCHes A's image: 404");
($st, $h, $j) = $t->delete("/api/user/user-image/$img->{id}/", undef,
    { -token => $b });
is($st, 404, "B DELETEs A's image: 404");
is_deeply($t->db_row('SELECT * FROM images WHERE id = ?', $img->{id}),
    $before, '... the row untouched');
($fst) = fetch($img->{url});
is($fst, 200, '... the file still served');

for my $bad ('0', '-1', 'abc', '99999') {
    ($st, $h, $j) = $t->get("/api/user/user-image/$bad/", { -token => $a });
    is($st, 404, "GET image $bad: 404");
}

# ---- PATCH ---------------------------------------------------------------------------

($st, $h, $j) = $t->patch("/api/user/user-image/$img->{id}/",
    { title => '新标题' }, { -token => $a });
is($st, 200, 'PATCH title: 200');
is($j->{data}{title}, '新标题', '... answered');
is($j->{data}{description}, 'the Bund at night', '... description kept');
is($t->db_value('SELECT title FROM images WHERE id = ?', $img->{id}),
    '新标题', '... stored');

($st, $h, $j) = $t->patch("/api/user/user-image/$img->{id}/",
    { description => '' }, { -token => $a });
is($st, 200, 'PATCH description "": 200');
is($j->{data}{description}, '', '... cleared');
is($j->{data}{title}, '新标题', '... title kept');

$before = $t->db_row('SELECT * FROM images WHERE id = ?', $img->{id});
for my $bad ({ title => 'x' x 65 }, { description => 'x' x 513 },
    { title => 5 }, { title => undef })
{
    my $show = FeatTest::json()->encode($bad);
    ($st, $h, $j) = $t->patch("/api/user/user-image/$img->{id}/", $bad,
        { -token => $a });
    is($st, 400, "PATCH $show: 400");
    is($j->{code}, 'invalid', '... invalid');
}
is_deeply($t->db_row('SELECT * FROM images WHERE id = ?', $img->{id}),
    $before, '... the row unchanged');

# ---- DELETE --------------------------------------------------------------------------

my $path = $t->dir . '/media/'
    . $t->db_value('SELECT relpath FROM images WHERE id = ?', $img->{id});
($st, $h, $j) = $t->delete("/api/user/user-image/$img->{id}/", undef,
    { -token => $a });
is($st, 204, 'DELETE own image: 204');
is($j, '', '... empty body');
is($t->db_value('SELECT count(*) FROM images WHERE id = ?', $img->{id}), 0,
    '... the row is gone');
ok(!-e $path, '... the file is gone');
($fst) = fetch($img->{url});
is($fst, 404, '... its URL answers 404 through nginx');
($st, $h, $j) = $t->get("/api/user/user-image/$img->{id}/", { -token => $a });
is($st, 404, '... GET answers 404');
($st, $h, $j) = $t->delete("/api/user/user-image/$img->{id}/", undef,
    { -token => $a });
is($st, 404, '... DELETE again: 404');

($st, $h, $j) = $t->get('/api/user/user-image/', { -token => $a });
is($j->{data}{count}, 2, 'the list has two left');

$t->stop;
done_testing;
