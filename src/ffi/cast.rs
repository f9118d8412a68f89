//! From C pointers to Rust references, in one checked way for every opaque type and every
//! kind of argument (the rustls-ffi manner).

use std::os::raw::{c_char, c_void};
use std::ptr::NonNull;

use crate::error::{Error, Result};

/// An opaque C type (`sockhelp_framing`, `sockhelp_reader`, `sockhelp_writer`,
/// `sockhelp_poller`): a Rust value in a box, handed to C as a pointer made by [`to_c`] /
/// [`new_boxed`], borrowed back with [`try_ref`] / [`try_mut`], freed with [`free_boxed`].
pub(super) trait Castable: Sized {
    /// The core value the C type wraps.
    type Inner;
    fn wrap(inner: Self::Inner) -> Self;
    /// The address of the inner value inside the C value at `p`: a field projection that
    /// makes no reference to the whole C value, so another of its fields may be borrowed
    /// meanwhile (the poller's waker, reached from other threads during a wait).
    ///
    /// # Safety
    /// `p` points to a live value of this type.
    unsafe fn inner_ptr(p: *mut Self) -> *mut Self::Inner;
}

/// Implements [`Castable`] for `$c`, a struct with a field `inner: $inner`; with a second
/// argument `|inner| expr`, `expr` builds the struct (for one with more fields).
macro_rules! castable {
    ($c:ty => $inner:ty) => {
        $crate::ffi::cast::castable!($c => $inner, |inner| Self { inner });
    };
    ($c:ty => $inner:ty, |$i:ident| $wrap:expr) => {
        impl $crate::ffi::Castable for $c {
            type Inner = $inner;
            fn wrap($i: $inner) -> Self {
                $wrap
            }
            // The inner `unsafe` block is needed where `unsafe_op_in_unsafe_fn` warns and
            // redundant on Rust 1.63, which warns about it instead.
            #[allow(unused_unsafe)]
            unsafe fn inner_ptr(p: *mut Self) -> *mut $inner {
                // SAFETY: the caller passes a pointer to a live value; this only computes
                // the field's address.
                unsafe { ::std::ptr::addr_of_mut!((*p).inner) }
            }
        }
    };
}
pub(super) use castable;

/// A shared borrow of the value behind `p`; NULL is `Invalid`.
pub(super) fn try_ref<'a, T: Castable + 'a>(p: *const T) -> Result<&'a T::Inner> {
    if p.is_null() {
        return Err(Error::Invalid);
    }
    // SAFETY: a non-NULL `p` came from `to_c` (a live box of this type, not freed during
    // the call: the C contract of every function taking one). Only the inner field is
    // borrowed, and only shared, though the pointer is cast to `*mut` for the projection.
    Ok(unsafe { &*T::inner_ptr(p as *mut T) })
}

/// An exclusive borrow of the value behind `p`; NULL is `Invalid`.
pub(super) fn try_mut<'a, T: Castable + 'a>(p: *mut T) -> Result<&'a mut T::Inner> {
    if p.is_null() {
        return Err(Error::Invalid);
    }
    // SAFETY: a non-NULL `p` came from `to_c`, is not freed during the call, and is used by
    // one thread at a time (the C contract of every function taking one mutably). The
    // borrow covers the inner field only (see `Castable::inner_ptr`).
    Ok(unsafe { &mut *T::inner_ptr(p) })
}

/// Boxes `inner` as its C type and hands the box to C (it comes back to [`free_boxed`]).
pub(super) fn to_c<T: Castable>(inner: T::Inner) -> *mut T {
    Box::into_raw(Box::new(T::wrap(inner)))
}

/// A constructor's result as a C pointer: the new box, or NULL on failure (remembering
/// the OS error behind it for `sockhelp_last_os_error`).
pub(super) fn new_boxed<T: Castable>(r: Result<T::Inner>) -> *mut T {
    match r {
        Ok(inner) => to_c(inner),
        Err(e) => {
            super::code(Err(e));
            std::ptr::null_mut()
        }
    }
}

/// Frees a box made by [`to_c`]; NULL is a no-op. Runs inside the panic boundary, so a
/// `_free` function is just `free_boxed(p)`.
pub(super) fn free_boxed<T: Castable>(p: *mut T) {
    super::boundary(|| {
        if !p.is_null() {
            // SAFETY: a non-NULL `p` came from `to_c` and is freed once (the C contract).
            drop(unsafe { Box::from_raw(p) });
        }
    })
}

/// An out-parameter that must not be NULL, checked: write through it with [`Out::set`].
pub(crate) struct Out<T>(NonNull<T>);

impl<T> Out<T> {
    /// Stores `v` (the previous content is not read or dropped: it may be uninitialized).
    pub(super) fn set(&self, v: T) {
        // SAFETY: `out_param` checked the pointer is not NULL; the C caller passes a valid,
        // aligned, writable pointer to a T.
        unsafe { self.0.as_ptr().write(v) };
    }
}

/// The out-parameter `p`, which must not be NULL (`Invalid` when it is).
pub(super) fn out_param<T>(p: *mut T) -> Result<Out<T>> {
    NonNull::new(p).map(Out).ok_or(Error::Invalid)
}

/// Writes `v` through `p` when `p` is not NULL (an optional out-parameter).
pub(super) fn put<T>(p: *mut T, v: T) {
    if let Ok(out) = out_param(p) {
        out.set(v);
    }
}

/// `(ptr, n)` from C as a slice of `n` values: NULL is allowed only with `n == 0`; `Invalid`
/// for NULL with `n` > 0 or a length no array can have.
pub(super) fn array<'a, T>(p: *const T, n: usize) -> Result<&'a [T]> {
    if n == 0 {
        return Ok(&[]);
    }
    if p.is_null() || n > isize::MAX as usize / std::mem::size_of::<T>().max(1) {
        return Err(Error::Invalid);
    }
    // SAFETY: the C caller promises `n` readable values at `p`, alive for the call (checked
    // non-NULL and not absurdly long above).
    Ok(unsafe { std::slice::from_raw_parts(p, n) })
}

/// `(ptr, n)` from C as a writable slice of `n` values, checked as [`array`] checks.
pub(super) fn array_mut<'a, T>(p: *mut T, n: usize) -> Result<&'a mut [T]> {
    if n == 0 {
        return Ok(&mut []);
    }
    if p.is_null() || n > isize::MAX as usize / std::mem::size_of::<T>().max(1) {
        return Err(Error::Invalid);
    }
    // SAFETY: the C caller promises `n` writable values at `p`, alive and unaliased for the
    // call (checked non-NULL and not absurdly long above).
    Ok(unsafe { std::slice::from_raw_parts_mut(p, n) })
}

/// `(ptr, len)` from C as a byte slice: NULL is allowed only with `len == 0`.
pub(super) fn bytes<'a>(p: *const c_void, len: usize) -> Result<&'a [u8]> {
    array(p.cast::<u8>(), len)
}

/// `(ptr, len)` from C as a writable byte slice: NULL is allowed only with `len == 0`.
pub(super) fn bytes_mut<'a>(p: *mut c_void, len: usize) -> Result<&'a mut [u8]> {
    array_mut(p.cast::<u8>(), len)
}

/// A C string as `&str`; NULL gives `None`, invalid UTF-8 is `Invalid`.
pub(super) fn c_str<'a>(p: *const c_char) -> Result<Option<&'a str>> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: the C caller passes a NUL-terminated string alive for the call.
    let s = unsafe { std::ffi::CStr::from_ptr(p) };
    s.to_str().map(Some).map_err(|_| Error::Invalid)
}
